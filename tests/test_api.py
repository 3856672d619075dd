"""The JSON API: /api/ask (same pipeline as the webhook), read-only knowledge, health and readiness."""

from __future__ import annotations

from tests.line_schema import assert_valid


def test_ask_answers_with_a_service_and_its_plan_items(client):
    response = client.post("/api/ask", json={"text": "老闆欠薪三個月怎麼辦"})
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "answer"
    top = body["matches"][0]
    assert top["service_id"] == "wages-unpaid"
    plan_names = {p["name"] for p in client.get("/api/plan-items").json()}
    assert top["plan_items"] and set(top["plan_items"]) <= plan_names
    assert_valid({"replyToken": "x", "messages": body["messages"]})


def test_out_of_scope_question_falls_back_without_a_confident_service(client):
    body = client.post("/api/ask", json={"text": "汽車牌照稅怎麼繳"}).json()
    assert body["kind"] == "fallback"
    text = str(body["messages"])
    assert "1999" in text and "1955" in text


def test_ask_rejects_empty_blank_and_oversized_text(client):
    for payload in ({"text": ""}, {"text": "   "}, {"text": "x" * 5001}, {}, {"text": 42}):
        assert client.post("/api/ask", json=payload).status_code == 422, payload
    assert client.post("/api/ask", content=b"not json", headers={"Content-Type": "application/json"}).status_code == 422


def test_plan_items_lists_both_plans(client):
    items = client.get("/api/plan-items").json()
    assert len(items) == 81
    assert {i["agency"] for i in items} == {"勞動部", "臺中市政府勞工局"}
    assert all(i["name"] and i["work_plan"] and "content" in i for i in items)


def test_services_lists_every_published_service_with_all_fields(client):
    services = client.get("/api/services").json()
    assert len(services) >= 50 and {s["status"] for s in services} == {"published"}
    press = next(s for s in services if s["id"] == "tc-press-machine-subsidy")
    for field in ("title", "agency", "audience", "summary", "eligibility", "steps", "contacts", "plan_items",
                  "sources", "last_verified", "status"):
        assert press[field], field


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] and ready.json()["index"]


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]


def test_ask_keeps_a_conversation_for_a_user_and_says_which_part_it_answered(client):
    user = "api-conversation-user"
    first = client.post("/api/ask", json={"user_id": user, "text": "失業給付怎麼申請"}).json()
    assert first["kind"] == "answer" and first["matches"][0]["service_id"] == "unemployment-benefits"
    assert first["aspect"] == "apply"
    follow_up = client.post("/api/ask", json={"user_id": user, "text": "要帶哪些證件"}).json()
    assert follow_up["matches"][0]["service_id"] == "unemployment-benefits" and follow_up["aspect"] == "documents"
    assert_valid({"replyToken": "x", "messages": follow_up["messages"]})
    # Without a user nothing is remembered: the same follow-up on its own is not about unemployment benefits
    alone = client.post("/api/ask", json={"text": "要帶哪些證件"}).json()
    assert alone.get("aspect") is None or alone["matches"][0]["service_id"] != "unemployment-benefits"
