"""Admin pages: list accounts (with a search) and change a role. Admins only."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from ..access import roles_required
from ..auth import services as auth_services
from ..auth.models import Role, User
from ..extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    q = request.args.get("q", "")[:100].strip().lower()
    query = select(User).order_by(User.id)
    if q:
        query = query.where(
            or_(func.lower(User.email).like(f"%{q}%"), func.lower(User.display_name).like(f"%{q}%"))
        )
    return render_template(
        "admin/users.html", users=list(db.session.scalars(query.limit(500))), q=q, roles=list(Role)
    )


@bp.post("/users/<int:uid>/role")
@roles_required(Role.ADMIN)
def set_role(uid: int):
    user = db.get_or_404(User, uid)
    auth_services.set_role(user, request.form.get("role", ""), actor=g.user)
    flash(f"{user.display_name} is now {Role(user.role).label}.", "success")
    return redirect(url_for(".users"), code=303)
