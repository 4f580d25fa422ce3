// HttpClient over cpp-httplib: the URL is parsed here (host, port, prefix), and each request
// gets a client of its own, so requests from several threads never share a connection.
#include "env/http_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <charconv>
#include <exception>
#include <memory>

namespace perfledger::env {
namespace {

struct Url {
  std::string scheme, host, prefix;
  int port = 0;
};

base::Result<Url> ParseUrl(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return base::InvalidInput(
        fmt::format("server URL '{}': {}; expected http://HOST[:PORT][/PREFIX] (or https://), e.g. "
                    "http://127.0.0.1:8080",
                    text, why));
  };
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    url.scheme = "http";
    url.port = 80;
  } else if (rest.starts_with("https://")) {
    url.scheme = "https";
    url.port = 443;
  } else {
    return bad("no http:// or https://");
  }
  rest.remove_prefix(url.scheme.size() + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("a query or fragment");
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in the URL (give the token with --token)");
  }
  std::string_view port;
  if (authority.starts_with('[')) {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("junk after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("no host");
  if (!port.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return bad("the port is not a number from 1 to 65535");
    }
    url.port = value;
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  url.prefix = std::string(path);
  return url;
}

}  // namespace

base::Result<HttpClient> HttpClient::Open(const std::string& base_url) {
  ASSIGN_OR_RETURN(Url url, ParseUrl(base_url));
  HttpClient client;
  client.scheme_ = url.scheme;
  client.host_ = url.host;
  client.port_ = url.port;
  client.prefix_ = url.prefix;
  return client;
}

std::string HttpClient::UrlOf(const std::string& path) const {
  const bool ipv6 = host_.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}{}{}", scheme_, ipv6 ? "[" : "", host_, ipv6 ? "]" : "", port_,
                     prefix_, path);
}

base::Result<HttpResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::string& content_type,
                                            const Headers& headers) const {
  try {
    std::unique_ptr<httplib::ClientImpl> cli;
    if (scheme_ == "https") {
      cli = std::make_unique<httplib::SSLClient>(host_, port_);
    } else {
      cli = std::make_unique<httplib::ClientImpl>(host_, port_);
    }
    cli->set_connection_timeout(connect_timeout);
    cli->set_read_timeout(io_timeout);
    cli->set_write_timeout(io_timeout);
    cli->set_keep_alive(false);
    cli->set_url_encode(false);  // the caller's path is sent as given
    httplib::Headers h;
    for (const auto& [k, v] : headers) h.emplace(k, v);
    httplib::Result r = cli->Post(prefix_ + path, h, body, content_type);
    if (!r) {
      return base::IoError(
          fmt::format("POST {}: no response: {}", UrlOf(path), httplib::to_string(r.error())));
    }
    HttpResponse out;
    out.status = r->status;
    out.body = std::move(r->body);
    out.content_type = r->get_header_value("Content-Type");
    return out;
  } catch (const std::exception& e) {
    return base::IoError(fmt::format("POST {}: {}", UrlOf(path), e.what()));
  }
}

}  // namespace perfledger::env
