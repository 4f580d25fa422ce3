// docs/openapi.json against the routes the server really serves (Api::Routes()): the same
// set of method + path both ways, every operation with a success response, and a document that
// holds together ($refs resolve, path parameters declared), so a route added to the server or
// dropped from it without its description fails here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "server/api.h"

namespace perfledger::server {
namespace {

using nlohmann::json;

// The keys of a path item that are operations (OpenAPI 3.0.3, "Path Item Object").
const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                        "options", "head", "patch", "trace"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source = std::getenv("PERFLEDGER_SOURCE_DIR");
    ASSERT_NE(source, nullptr) << "PERFLEDGER_SOURCE_DIR is not set (CTest sets it to the "
                                  "source tree; set it when running server_test by hand)";
    const std::string path = std::string(source) + "/docs/openapi.json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot read " << path;
    std::stringstream text;
    text << in.rdbuf();
    doc_ = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(doc_.is_discarded()) << path << " is not valid JSON";
    ASSERT_TRUE(doc_.contains("paths") && doc_["paths"].is_object()) << path << ": no paths";
  }

  // "GET /api/v1/alerts" for every operation in the document.
  std::set<std::string> Documented() const {
    std::set<std::string> out;
    for (const auto& [path, item] : doc_["paths"].items()) {
      for (const auto& [key, op] : item.items()) {
        if (kMethods.contains(key)) out.insert(Upper(key) + " " + path);
      }
    }
    return out;
  }

  static std::set<std::string> Served() {
    std::set<std::string> out;
    for (const Route& r : Api::Routes()) out.insert(r.method + " " + r.pattern);
    return out;
  }

  // Resolves a local "$ref" ("#/components/schemas/Alert"); null when it points nowhere.
  const json* Resolve(const std::string& ref) const {
    if (!ref.starts_with("#/")) return nullptr;
    const json* at = &doc_;
    try {
      at = &doc_.at(json::json_pointer(ref.substr(1)));
    } catch (const json::exception&) {
      return nullptr;
    }
    return at;
  }

  json doc_;
};

TEST_F(OpenApiTest, IsOpenApi303) { EXPECT_EQ(doc_.value("openapi", ""), "3.0.3"); }

TEST_F(OpenApiTest, EveryServedRouteIsDocumentedWithItsMethod) {
  const std::set<std::string> documented = Documented();
  const std::set<std::string> served = Served();
  ASSERT_FALSE(served.empty());
  for (const std::string& route : served) {
    EXPECT_TRUE(documented.contains(route))
        << "the server serves " << route << " but docs/openapi.json does not describe it";
  }
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsServed) {
  const std::set<std::string> served = Served();
  for (const std::string& op : Documented()) {
    EXPECT_TRUE(served.contains(op))
        << "docs/openapi.json describes " << op << " but the server has no such route";
  }
}

TEST_F(OpenApiTest, EveryOperationHasASuccessResponse) {
  for (const auto& [path, item] : doc_["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.contains(method)) continue;
      ASSERT_TRUE(op.contains("responses")) << Upper(method) << " " << path << ": no responses";
      bool success = false;
      for (const auto& [status, response] : op["responses"].items()) {
        if (status.size() == 3 && status[0] == '2') success = true;
      }
      EXPECT_TRUE(success) << Upper(method) << " " << path << " lists no 2xx response";
    }
  }
}

TEST_F(OpenApiTest, ErrorResponsesUseTheErrorSchema) {
  // Every 4xx/5xx an operation lists is one of the shared error responses, whose body is
  // {"error": {"code", "message", "pointer"?}} (docs/api.md).
  const json* error = Resolve("#/components/schemas/Error");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ((*error)["properties"]["error"]["required"], json::array({"code", "message"}));
  EXPECT_TRUE((*error)["properties"]["error"]["properties"].contains("pointer"));
  std::set<std::string> statuses;
  for (const auto& [path, item] : doc_["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.contains(method)) continue;
      for (const auto& [status, response] : op["responses"].items()) {
        if (status[0] != '4' && status[0] != '5') continue;
        statuses.insert(status);
        const json* r =
            response.contains("$ref") ? Resolve(response["$ref"].get<std::string>()) : &response;
        ASSERT_NE(r, nullptr) << Upper(method) << " " << path << " " << status;
        const json schema =
            r->value(json::json_pointer("/content/application~1json/schema"), json::object());
        EXPECT_EQ(schema.value("$ref", ""), "#/components/schemas/Error")
            << Upper(method) << " " << path << " " << status;
      }
    }
  }
  for (const char* s : {"400", "401", "403", "404", "405", "409", "413", "503"}) {
    EXPECT_TRUE(statuses.contains(s)) << "no operation lists status " << s;
  }
}

TEST_F(OpenApiTest, EveryRefResolvesAndEveryPathParameterIsDeclared) {
  std::vector<std::string> broken;
  auto walk = [&](auto&& self, const json& node) -> void {
    if (node.is_object()) {
      if (auto it = node.find("$ref"); it != node.end() && it->is_string()) {
        if (Resolve(it->get<std::string>()) == nullptr) broken.push_back(it->get<std::string>());
      }
      for (const auto& [k, v] : node.items()) self(self, v);
    } else if (node.is_array()) {
      for (const auto& v : node) self(self, v);
    }
  };
  walk(walk, doc_);
  EXPECT_TRUE(broken.empty()) << "unresolved $ref: " << json(broken).dump();

  for (const auto& [path, item] : doc_["paths"].items()) {
    std::set<std::string> declared;
    for (const auto& p : item.value("parameters", json::array())) {
      if (p.value("in", "") == "path") declared.insert(p.value("name", ""));
    }
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open)) {
      const size_t close = path.find('}', open);
      ASSERT_NE(close, std::string::npos) << path;
      const std::string name = path.substr(open + 1, close - open - 1);
      EXPECT_TRUE(declared.contains(name))
          << path << ": the path parameter {" << name << "} is not declared";
      open = close;
    }
  }
}

}  // namespace
}  // namespace perfledger::server
