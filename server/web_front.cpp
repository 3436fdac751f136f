#include "server/web_front.hpp"

#include "server/listen.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace rd {

namespace {

const char* content_type(const std::string& ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "application/javascript";  // noVNC loads ES modules: the type matters
  if (ext == ".css") return "text/css";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".ogg") return "audio/ogg";
  if (ext == ".mp3") return "audio/mpeg";
  return "application/octet-stream";
}

// One request per connection: read the head, answer, close.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(asio::ip::tcp::socket s, int rfb_port, const std::string& root)
      : socket_(std::move(s)), rfb_port_(rfb_port), root_(root) {}

  void start() {
    asio::async_read_until(socket_, buf_, "\r\n\r\n", [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
      if (!ec) self->answer();
    });
  }

 private:
  void answer() {
    std::istream in(&buf_);
    std::string method, target, version;
    in >> method >> target >> version;
    if (method != "GET" && method != "HEAD") return reply(405, "text/plain", "only GET and HEAD\n");
    std::string path = target.substr(0, target.find('?'));
    if (path == "/") {
      std::string location = "/vnc.html?autoconnect=true&resize=scale&reconnect=true&port=" + std::to_string(rfb_port_);
      return reply(302, "text/plain", "see " + location + "\n", "Location: " + location + "\r\n");
    }
    // Only plain names below the root: no "..", no hidden files.
    if (path.find("..") != std::string::npos || path.find("/.") != std::string::npos)
      return reply(404, "text/plain", "not found\n");
    std::filesystem::path file = std::filesystem::path(root_) / path.substr(1);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return reply(404, "text/plain", "not found\n");
    std::ifstream f(file, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    reply(200, content_type(file.extension().string()), method == "HEAD" ? std::string() : ss.str());
  }

  void reply(int code, const std::string& type, std::string body, const std::string& extra = "") {
    const char* text = code == 200 ? "OK" : code == 302 ? "Found" : code == 404 ? "Not Found" : "Method Not Allowed";
    out_ = "HTTP/1.1 " + std::to_string(code) + " " + text + "\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nCache-Control: no-cache\r\nConnection: close\r\n" + extra +
           "\r\n" + body;
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](const asio::error_code&, std::size_t) {
      asio::error_code ignored;
      self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    });
  }

  asio::ip::tcp::socket socket_;
  asio::streambuf buf_{16384};  // a request head larger than this is not served
  int rfb_port_;
  std::string root_;
  std::string out_;
};

}  // namespace

WebFront::WebFront(asio::io_context& io, const std::string& address, std::uint16_t port, int rfb_port, std::string root)
    : acceptor_(io), rfb_port_(rfb_port), root_(std::move(root)) {
  if (!std::filesystem::exists(std::filesystem::path(root_) / "vnc.html"))
    throw std::runtime_error("noVNC not found in " + root_ + " (apt-get install novnc)");
  port_ = listen_on(acceptor_, address, port);
  accept();
}

void WebFront::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket s) {
    if (ec) return;
    std::make_shared<HttpConnection>(std::move(s), rfb_port_, root_)->start();
    accept();
  });
}

void WebFront::stop() {
  asio::error_code ec;
  acceptor_.close(ec);
}

}  // namespace rd
