"""Register, log in, log out, reset a password; the ``flask users`` commands."""

from __future__ import annotations

import click
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..access import is_local_path, login_required
from ..errors import ServiceError
from ..extensions import db, limiter
from . import services
from .models import Role, User

bp = Blueprint("auth", __name__, url_prefix="/auth", cli_group="users")


def _limit(key: str):
    return limiter.limit(lambda: current_app.config[key], methods=["POST"])


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after log-in (no open redirect, see ``is_local_path``)."""
    return target if target and is_local_path(target) else url_for("consultations.index")


@bp.route("/register", methods=["GET", "POST"])
@_limit("RATELIMIT_REGISTER")
def register():
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("password", "") != form.get("password2", ""):
                raise ServiceError("The two passwords differ.")
            user = services.register(
                form.get("email", ""),
                form.get("display_name", ""),
                form.get("password", ""),
                form.get("identifier"),
            )
        except ServiceError as exc:
            error = str(exc)
        else:
            services.start_session(user)
            flash("Welcome! Your account is ready.", "success")
            return redirect(_safe_next(request.args.get("next")), code=303)
    return render_template("auth/register.html", error=error), (422 if error else 200)


@bp.route("/login", methods=["GET", "POST"])
@_limit("RATELIMIT_LOGIN")
def login():
    error = None
    if request.method == "POST":
        user = services.authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if user is None:
            error = "Email or password is wrong."
        else:
            services.start_session(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    services.end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("home.index"), code=303)


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RATELIMIT_RESET")
def reset_request():
    sent = False
    if request.method == "POST":
        services.request_password_reset(
            request.form.get("email", ""), lambda t: url_for("auth.reset_password", token=t, _external=True)
        )
        sent = True
    return render_template("auth/reset_request.html", sent=sent)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@_limit("RATELIMIT_RESET")
def reset_password(token: str):
    error = None
    if request.method == "POST":
        try:
            if request.form.get("password", "") != request.form.get("password2", ""):
                raise ServiceError("The two passwords differ.")
            services.reset_password(token, request.form.get("password", ""))
        except ServiceError as exc:
            error = str(exc)
        else:
            flash("Your password is changed; log in with it.", "success")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset_password.html", error=error, token=token), (422 if error else 200)


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html")


# --- command line -------------------------------------------------------------------------------------


@bp.cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", default="Administrator", show_default=True)
@click.password_option()
def create_admin(email: str, display_name: str, password: str) -> None:
    """Create an admin account (the password is asked twice, never echoed)."""
    try:
        user = services.register(email, display_name, password)
        services.set_role(user, Role.ADMIN.value)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Admin {user.email} created.")


@bp.cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_role(email: str, role: str) -> None:
    """Give the account EMAIL the ROLE."""
    user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    services.set_role(user, role)
    click.echo(f"{user.email} is now {Role(role).label}.")
