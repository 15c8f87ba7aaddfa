"""STV rule families checked against droop's reference counts (one module per family).

Rule ids: ``scotland`` (alias ``scottish-stv``), ``meek``, ``meek-prf``, ``warren``, ``wigm``, ``wigm-prf``,
``wigm-prf-batch``, ``cfer``, ``cfer-batch``, ``mpls``, ``qpq``; options ``arithmetic``
(``fixed``/``guarded``/``rational``), ``precision``, ``guard``, ``omega``, ``display``. A droop variant
name such as ``meek-prf-o6-fixed-p9-d9`` is read by ``variants.parse_variant``.
"""
