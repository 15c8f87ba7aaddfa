from consult import create_app


def test_home_page_renders(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert b"consult" in response.data
