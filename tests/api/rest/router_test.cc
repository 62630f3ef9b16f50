#include "api/rest/router.h"

#include <set>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rest/auth.h"
#include "api/rest/http_message.h"

namespace api::rest {
namespace {

using nlohmann::json;

HttpRequest Request(std::string method, std::string_view target, std::string token = {}) {
  HttpRequest request;
  request.method = std::move(method);
  EXPECT_TRUE(SetTarget(request, target).ok()) << target;
  if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
  return request;
}

std::string ErrorCode(const HttpResponse& response) {
  return json::parse(response.body).at("error").at("code").get<std::string>();
}

TEST(TokenAuthTest, ChecksSchemeAndToken) {
  const TokenAuth auth({{"admin-secret", Scope::kAdmin}, {"read-secret", Scope::kRead}});
  EXPECT_FALSE(auth.empty());
  EXPECT_EQ(auth.Check("Bearer admin-secret"), Scope::kAdmin);
  EXPECT_EQ(auth.Check("Bearer read-secret"), Scope::kRead);
  EXPECT_EQ(auth.Check("bearer read-secret"), Scope::kRead);
  EXPECT_EQ(auth.Check("BEARER   read-secret  "), Scope::kRead);
  EXPECT_EQ(auth.Check(""), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearer"), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearer "), Scope::kNone);
  EXPECT_EQ(auth.Check("Basic read-secret"), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearerread-secret"), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearer read-secre"), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearer read-secretx"), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearer read-secret extra"), Scope::kNone);
  EXPECT_EQ(auth.Check("Bearer wrong"), Scope::kNone);
}

TEST(TokenAuthTest, EmptyAuthAcceptsNothing) {
  const TokenAuth none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.Check("Bearer anything"), Scope::kNone);
  const TokenAuth ignored({{"", Scope::kAdmin}, {"t", Scope::kNone}});
  EXPECT_TRUE(ignored.empty());
}

TEST(TokenAuthTest, GeneratesDistinctBase64UrlTokens) {
  std::set<std::string> tokens;
  for (int i = 0; i < 20; ++i) {
    const std::string token = TokenAuth::GenerateToken();
    ASSERT_EQ(token.size(), 43u);  // 32 bytes, base64url without padding
    for (char c : token) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
    }
    tokens.insert(token);
  }
  EXPECT_EQ(tokens.size(), 20u);
  const std::string token = TokenAuth::GenerateToken();
  EXPECT_EQ(TokenAuth({{token, Scope::kRead}}).Check("Bearer " + token), Scope::kRead);
}

TEST(HttpMessageTest, SetTargetDecodesPathAndQuery) {
  HttpRequest request;
  ASSERT_TRUE(SetTarget(request, "/v1/a%20b/c?x=1&y=a+b%26c&flag&x=2").ok());
  EXPECT_EQ(request.target, "/v1/a%20b/c?x=1&y=a+b%26c&flag&x=2");
  EXPECT_EQ(request.path, "/v1/a b/c");
  EXPECT_EQ(request.query.at("x"), "2");
  EXPECT_EQ(request.query.at("y"), "a b&c");
  EXPECT_EQ(request.query.at("flag"), "");
  EXPECT_FALSE(SetTarget(request, "/bad%2").ok());
  EXPECT_FALSE(SetTarget(request, "/bad%zz").ok());
  EXPECT_FALSE(SetTarget(request, "/q?a=%g1").ok());
  EXPECT_FALSE(SetTarget(request, "no-slash").ok());
  EXPECT_EQ(request.path, "/v1/a b/c");  // unchanged by the failures
}

TEST(HttpMessageTest, HeaderAndContentType) {
  HttpRequest request;
  request.headers = {{"x-one", "1"}, {"content-type", " Application/JSON ; charset=UTF-8"}};
  EXPECT_EQ(request.header("x-one"), "1");
  EXPECT_EQ(request.header("x-two"), "");
  EXPECT_EQ(request.content_type(), "application/json");
  request.headers = {{"content-type", "text/plain"}};
  EXPECT_EQ(request.content_type(), "text/plain");
  request.headers.clear();
  EXPECT_EQ(request.content_type(), "");
}

TEST(HttpMessageTest, ErrorResponseShape) {
  const HttpResponse plain = ErrorResponse(404, "not_found", "no such ruleset");
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(plain.content_type, "application/json");
  EXPECT_EQ(json::parse(plain.body),
            json::parse(R"({"error":{"code":"not_found","message":"no such ruleset","details":[]}})"));
  const HttpResponse detailed =
      ErrorResponse(422, "invalid_ruleset", "2 errors", json::array({"a.rules:1:2: x"}));
  EXPECT_EQ(json::parse(detailed.body)["error"]["details"][0], "a.rules:1:2: x");
  const HttpResponse text = TextResponse(200, "hello");
  EXPECT_EQ(text.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(JsonResponse(201, json{{"a", 1}}).body, R"({"a":1})");
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(TokenAuth({{"admin", Scope::kAdmin}, {"reader", Scope::kRead}})) {
    const auto named = [](std::string name) {
      return [name](HttpRequest& request) {
        json params = request.params;
        return JsonResponse(200, {{"route", name},
                                  {"params", params},
                                  {"scope", std::string(ScopeName(request.scope))}});
      };
    };
    router_.Add("GET", "/healthz", Scope::kNone, named("healthz"));
    router_.Add("GET", "/v1/rulesets", Scope::kRead, named("list"));
    router_.Add("POST", "/v1/rulesets", Scope::kAdmin, named("upload"));
    router_.Add("GET", "/v1/rulesets/{name}", Scope::kRead, named("show"));
    router_.Add("DELETE", "/v1/rulesets/{name}", Scope::kAdmin, named("delete"));
    router_.Add("POST", "/v1/rulesets/validate", Scope::kRead, named("validate"));
    router_.Add("POST", "/v1/rulesets/{name}", Scope::kAdmin, named("post-named"));
    router_.Add("GET", "/v1/rulesets/{name}/versions/{v}", Scope::kRead, named("version"));
    router_.Add("GET", "/v1/throws", Scope::kRead,
                [](HttpRequest&) -> HttpResponse { throw std::runtime_error("secret detail"); });
  }

  json Body(const HttpResponse& response) { return json::parse(response.body); }

  Router router_;
};

TEST_F(RouterTest, FillsPathParameters) {
  HttpRequest request = Request("GET", "/v1/rulesets/card%2Ffraud/versions/3?x=1", "reader");
  const HttpResponse response = router_.Handle(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Body(response)["route"], "version");
  EXPECT_EQ(Body(response)["params"], json({{"name", "card/fraud"}, {"v", "3"}}));
  EXPECT_EQ(request.params.at("name"), "card/fraud");
  EXPECT_EQ(request.scope, Scope::kRead);
}

TEST_F(RouterTest, IgnoresTrailingAndRepeatedSlashes) {
  HttpRequest request = Request("GET", "//v1/rulesets/", "reader");
  EXPECT_EQ(Body(router_.Handle(request))["route"], "list");
}

TEST_F(RouterTest, LiteralSegmentBeatsParameter) {
  HttpRequest validate = Request("POST", "/v1/rulesets/validate", "admin");
  EXPECT_EQ(Body(router_.Handle(validate))["route"], "validate");
  HttpRequest other = Request("POST", "/v1/rulesets/card", "admin");
  EXPECT_EQ(Body(router_.Handle(other))["route"], "post-named");
  HttpRequest show = Request("GET", "/v1/rulesets/validate", "reader");
  EXPECT_EQ(Body(router_.Handle(show))["route"], "show");
}

TEST_F(RouterTest, UnknownPathIs404) {
  HttpRequest request = Request("GET", "/v1/nothing/here", "reader");
  const HttpResponse response = router_.Handle(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(ErrorCode(response), "not_found");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpRequest request = Request("PUT", "/v1/rulesets/card", "admin");
  const HttpResponse response = router_.Handle(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(ErrorCode(response), "method_not_allowed");
  EXPECT_EQ(response.header("Allow"), "DELETE, GET, POST");
}

TEST_F(RouterTest, UnauthenticatedCallersGet401EvenForUnknownRoutes) {
  for (const char* target : {"/v1/rulesets", "/v1/nothing", "/v1/rulesets/x/versions/1"}) {
    HttpRequest request = Request("GET", target);
    const HttpResponse response = router_.Handle(request);
    EXPECT_EQ(response.status, 401) << target;
    EXPECT_EQ(ErrorCode(response), "unauthorized");
    EXPECT_EQ(response.header("www-authenticate"), "Bearer");
  }
  HttpRequest wrong = Request("GET", "/v1/rulesets", "not-a-token");
  EXPECT_EQ(router_.Handle(wrong).status, 401);
  HttpRequest basic = Request("GET", "/v1/rulesets");
  basic.headers.emplace_back("authorization", "Basic cmVhZGVy");
  EXPECT_EQ(router_.Handle(basic).status, 401);
}

TEST_F(RouterTest, ScopesAreEnforced) {
  HttpRequest read_on_admin = Request("POST", "/v1/rulesets", "reader");
  const HttpResponse forbidden = router_.Handle(read_on_admin);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(ErrorCode(forbidden), "forbidden");
  HttpRequest admin_on_read = Request("GET", "/v1/rulesets", "admin");
  const HttpResponse ok = router_.Handle(admin_on_read);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Body(ok)["scope"], "admin");
  HttpRequest admin_on_admin = Request("DELETE", "/v1/rulesets/x", "admin");
  EXPECT_EQ(router_.Handle(admin_on_admin).status, 200);
}

TEST_F(RouterTest, PublicRoutesNeedNoToken) {
  HttpRequest anonymous = Request("GET", "/healthz");
  EXPECT_EQ(router_.Handle(anonymous).status, 200);
  HttpRequest bad_token = Request("GET", "/healthz", "garbage");
  EXPECT_EQ(router_.Handle(bad_token).status, 200);
  HttpRequest with_token = Request("GET", "/healthz", "reader");
  EXPECT_EQ(Body(router_.Handle(with_token))["scope"], "read");
  // Another method on a public path is not public.
  HttpRequest post = Request("POST", "/healthz");
  EXPECT_EQ(router_.Handle(post).status, 401);
}

TEST_F(RouterTest, ThrowingHandlerIs500WithoutDetails) {
  HttpRequest request = Request("GET", "/v1/throws", "reader");
  const HttpResponse response = router_.Handle(request);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorCode(response), "internal");
  EXPECT_EQ(response.body.find("secret detail"), std::string::npos);
}

TEST_F(RouterTest, EmptySegmentDoesNotMatchParameter) {
  HttpRequest request = Request("GET", "/v1/rulesets/%2F/versions/1", "reader");
  EXPECT_EQ(Body(router_.Handle(request))["params"]["name"], "/");
  HttpRequest missing = Request("GET", "/v1/rulesets//versions/1", "reader");
  EXPECT_EQ(router_.Handle(missing).status, 404);  // "//" collapses: 4 segments, no route
}

TEST_F(RouterTest, BadEscapeInRawTargetIs400) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/rulesets/%zz";
  request.headers.emplace_back("authorization", "Bearer reader");
  EXPECT_EQ(router_.Handle(request).status, 400);
}

TEST(RouterDeathTest, DuplicateRouteIsABug) {
  Router router{TokenAuth()};
  router.Add("GET", "/a/{x}", Scope::kRead, [](HttpRequest&) { return HttpResponse(); });
  EXPECT_DEATH(
      router.Add("GET", "/a/{y}", Scope::kRead, [](HttpRequest&) { return HttpResponse(); }),
      "route added twice");
}

}  // namespace
}  // namespace api::rest
