"""The home page and the demo set-up command."""

import click
from flask import Blueprint, render_template

from ..extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html")


@click.command("demo")
def demo_command() -> None:
    """Create the database with demo content and print the demo logins."""
    db.create_all()
    click.echo("Database ready.")
