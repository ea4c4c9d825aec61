def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_create(api):
    order = api.create()
    assert order["state"] == "new"
