"""The home page and the ``flask demo`` command."""

import click
from flask import Blueprint, g, render_template
from flask.cli import with_appcontext

from ..consultations.services import list_visible

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html", rows=list_visible(g.user)[:5])


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Apply migrations, prepare demo content and print the demo logins (new passwords each run)."""
    from ..demo import run_demo

    run_demo(click.echo)
