def test_smoke(as_user):
    at = as_user()
    print([e for e in at.exception])
    print(at.title, [m.value for m in at.markdown][:5], [e.value for e in at.error], [i.value for i in at.info][:5])
    assert not at.exception
