"""consult: deliberative consultations with a certified tally (the Flask app)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .extensions import db

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: config from defaults, then ``CONSULT_*`` environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("CONSULT_SECRET_KEY") or _instance_secret(app.instance_path),
        SQLALCHEMY_DATABASE_URI=os.environ.get("CONSULT_DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'consult.sqlite'}",
    )
    if test_config:
        app.config.update(test_config)

    db.init_app(app)

    from . import home

    app.register_blueprint(home.bp)
    app.cli.add_command(home.demo_command)
    return app


def _instance_secret(instance_path: str) -> str:
    """A random secret kept in the instance folder, so no key is ever hard-coded."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()
