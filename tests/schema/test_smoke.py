def test_windows_listed_on_tenant_host(gql):
    body = gql("alpha")("{ tenant { slug name } windows { totalCount edges { node { id code name org { code } } } } }")
    assert body["data"]["tenant"] == {"slug": "alpha", "name": "甲镇"}
    assert body["data"]["windows"]["totalCount"] == 1
    assert body["data"]["windows"]["edges"][0]["node"]["name"] == "alpha综合窗口"
