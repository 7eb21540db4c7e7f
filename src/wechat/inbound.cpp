#include "wechat/inbound.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>
#include <pugixml.hpp>

#include "base/strings.h"

namespace qrscene::wechat {
namespace {

constexpr std::int64_t kParseError = -40002;
constexpr std::size_t kMaxTopLevelElements = 64;

Error bad(std::string message) {
  return unexpected(ErrorCode::kInvalidArgument, "push XML: " + std::move(message), kParseError);
}

// The text of an element: all its text and CDATA children, concatenated (a "]]>" in the content
// arrives split over two CDATA sections). Nested elements contribute their own text.
void text_into(const pugi::xml_node& node, std::string& out) {
  out.clear();
  const pugi::xml_node first = node.first_child();
  if (first && !first.next_sibling() && (first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata)) {
    out.assign(first.value());  // the common case: one text child
    return;
  }
  for (pugi::xml_node c = first; c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      out.append(c.value());
    } else if (c.type() == pugi::node_element) {
      std::string inner;
      text_into(c, inner);
      out.append(inner);
    }
  }
}

std::string text_of(const pugi::xml_node& node) {
  std::string s;
  if (node) text_into(node, s);
  return s;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

template <class Int>
Result<Int> to_integer(const pugi::xml_node& node, std::string_view name) {
  const std::string text = text_of(node);
  const std::string_view t = trim(text);
  Int v{};
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || t.front() == '+' || ec == std::errc::result_out_of_range) {
    if (ec == std::errc::result_out_of_range) {
      return bad(fmt::format("<{}> is out of range for a {}-bit integer", name, sizeof(Int) * 8));
    }
    return bad(fmt::format("<{}> is not an integer", name));
  }
  if (ec != std::errc() || end != t.data() + t.size()) return bad(fmt::format("<{}> is not an integer", name));
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) return bad(fmt::format("<{}> must not be negative", name));
  }
  return v;
}

Result<double> to_double(const pugi::xml_node& node, std::string_view name) {
  const std::string text = text_of(node);
  const std::string_view t = trim(text);
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
    return bad(fmt::format("<{}> is not a decimal number", name));
  }
  return v;
}

// The top-level elements of <xml>, looked up by name. Fixed size: no allocation per push.
class Fields {
 public:
  Status add(const pugi::xml_node& node) {
    if (count_ == entries_.size()) {
      return bad(fmt::format("more than {} top-level elements", kMaxTopLevelElements));
    }
    const std::string_view name = node.name();
    for (std::size_t i = 0; i < count_; ++i) {
      if (entries_[i].name == name) return bad(fmt::format("<{}> appears more than once", name));
    }
    entries_[count_++] = Entry{name, node};
    return {};
  }
  [[nodiscard]] pugi::xml_node find(std::string_view name) const {
    for (std::size_t i = 0; i < count_; ++i) {
      if (entries_[i].name == name) return entries_[i].node;
    }
    return {};
  }
  [[nodiscard]] Result<pugi::xml_node> require(std::string_view name) const {
    pugi::xml_node n = find(name);
    if (!n) return bad(fmt::format("<{}> is missing", name));
    return n;
  }
  [[nodiscard]] std::string text(std::string_view name) const { return text_of(find(name)); }
  [[nodiscard]] Result<std::string> required_text(std::string_view name) const {
    QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node n, require(name));
    return text_of(n);
  }
  [[nodiscard]] Result<std::uint64_t> msg_id(std::string_view name = "MsgId") const {
    QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node n, require(name));
    return to_integer<std::uint64_t>(n, name);
  }
  template <class Int>
  [[nodiscard]] Result<Int> integer_or_zero(std::string_view name) const {
    pugi::xml_node n = find(name);
    if (!n) return Int{0};
    return to_integer<Int>(n, name);
  }
  [[nodiscard]] Result<std::optional<std::int64_t>> optional_int(std::string_view name) const {
    pugi::xml_node n = find(name);
    if (!n || trim(text_of(n)).empty()) return std::optional<std::int64_t>{};
    QRSCENE_ASSIGN_OR_RETURN(auto v, to_integer<std::int64_t>(n, name));
    return std::optional<std::int64_t>(v);
  }
  // For fields that only describe a push (MenuId): a value that is not a number is dropped
  // rather than failing the whole push (the documentation's own sample says "MENUID").
  [[nodiscard]] std::optional<std::int64_t> lenient_int(std::string_view name) const {
    pugi::xml_node n = find(name);
    if (!n) return std::nullopt;
    auto v = to_integer<std::int64_t>(n, name);
    return v ? std::optional<std::int64_t>(*v) : std::nullopt;
  }
  [[nodiscard]] Result<double> decimal(std::string_view name) const {
    QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node n, require(name));
    return to_double(n, name);
  }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] const pugi::xml_node& at(std::size_t i) const noexcept { return entries_[i].node; }

 private:
  struct Entry {
    std::string_view name;  // points into the document, which outlives this object
    pugi::xml_node node;
  };
  std::array<Entry, kMaxTopLevelElements> entries_{};
  std::size_t count_ = 0;
};

// Parses and checks the document shape; returns the <xml> root.
Result<pugi::xml_node> load(pugi::xml_document& doc, std::string_view xml, const ParseOptions& options) {
  if (xml.size() > options.max_bytes) {
    return unexpected(ErrorCode::kTooLarge,
                      fmt::format("push XML is {} bytes, more than the {} allowed", xml.size(), options.max_bytes),
                      kParseError);
  }
  if (const auto at = first_invalid_utf8(xml); at != std::string_view::npos) {
    return bad(fmt::format("byte {} is not valid UTF-8 (or is NUL)", at));
  }
  // parse_doctype makes a DOCTYPE visible as a node so that it can be refused below; pugixml never
  // expands entities declared in one. Comments and processing instructions are skipped.
  constexpr unsigned kFlags = pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol | pugi::parse_doctype;
  const pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size(), kFlags, pugi::encoding_utf8);
  if (!r) return bad(fmt::format("malformed at byte {}: {}", r.offset, r.description()));

  pugi::xml_node root;
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
    switch (n.type()) {
      case pugi::node_doctype:
        return bad("a DOCTYPE is not allowed (DTDs and entities are refused)");
      case pugi::node_element:
        if (root) return bad("more than one root element");
        root = n;
        break;
      case pugi::node_pcdata:
      case pugi::node_cdata:
        return bad("text outside the root element");
      default:
        break;
    }
  }
  if (!root) return bad("no root element");
  if (std::string_view(root.name()) != "xml") return bad(fmt::format("root element is <{}>, not <xml>", root.name()));

  // Depth check without recursion, so that deep input cannot exhaust the stack.
  int depth = 1;
  pugi::xml_node n = root;
  while (true) {
    if (pugi::xml_node c = n.first_child(); c) {
      if (c.type() == pugi::node_doctype) return bad("a DOCTYPE is not allowed (DTDs and entities are refused)");
      n = c;
      if (++depth > options.max_depth) return bad(fmt::format("nested deeper than {} levels", options.max_depth));
      continue;
    }
    while (n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    if (n == root) break;
    n = n.next_sibling();
    if (n.type() == pugi::node_doctype) return bad("a DOCTYPE is not allowed (DTDs and entities are refused)");
  }
  return root;
}

Status collect(const pugi::xml_node& root, Fields& fields) {
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) QRSCENE_TRY(fields.add(c));
  }
  return {};
}

Result<PushHeader> parse_header(const Fields& f) {
  PushHeader h;
  QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node to, f.require("ToUserName"));
  QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node from, f.require("FromUserName"));
  QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node time, f.require("CreateTime"));
  text_into(to, h.to_user);
  text_into(from, h.from_user);
  if (h.from_user.empty()) return bad("<FromUserName> is empty");
  QRSCENE_ASSIGN_OR_RETURN(h.create_time, to_integer<std::int64_t>(time, "CreateTime"));
  return h;
}

UnknownPush make_unknown(PushHeader header, std::string msg_type, std::string event, const Fields& f) {
  UnknownPush u{std::move(header), std::move(msg_type), std::move(event), std::nullopt, {}};
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::string_view name = f.at(i).name();
    if (name == "ToUserName" || name == "FromUserName" || name == "CreateTime" || name == "MsgType" ||
        name == "Event") {
      continue;
    }
    u.fields.emplace_back(std::string(name), text_of(f.at(i)));
  }
  if (auto id = f.find("MsgId"); id) {
    if (auto v = to_integer<std::uint64_t>(id, "MsgId"); v) u.msg_id = *v;
  }
  return u;
}

Result<Inbound> parse_event(PushHeader h, const Fields& f) {
  QRSCENE_ASSIGN_OR_RETURN(const std::string event, f.required_text("Event"));
  const std::string_view e = trim(event);

  if (iequals(e, "subscribe")) {
    SubscribeEvent s{std::move(h), f.text("EventKey"), std::nullopt, f.text("Ticket")};
    constexpr std::string_view kPrefix = "qrscene_";
    if (std::string_view(s.event_key).starts_with(kPrefix)) s.scene = s.event_key.substr(kPrefix.size());
    return Inbound(std::move(s));
  }
  if (iequals(e, "unsubscribe")) return Inbound(UnsubscribeEvent{std::move(h)});
  if (iequals(e, "SCAN")) {
    QRSCENE_ASSIGN_OR_RETURN(std::string scene, f.required_text("EventKey"));
    return Inbound(ScanEvent{std::move(h), std::move(scene), f.text("Ticket")});
  }
  if (iequals(e, "LOCATION")) {
    LocationEvent l;
    l.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(l.latitude, f.decimal("Latitude"));
    QRSCENE_ASSIGN_OR_RETURN(l.longitude, f.decimal("Longitude"));
    QRSCENE_ASSIGN_OR_RETURN(l.precision, f.decimal("Precision"));
    return Inbound(l);
  }
  if (iequals(e, "CLICK")) return Inbound(ClickEvent{std::move(h), f.text("EventKey")});
  if (iequals(e, "VIEW")) {
    ViewEvent v{std::move(h), f.text("EventKey"), f.lenient_int("MenuId")};
    return Inbound(std::move(v));
  }
  if (iequals(e, "view_miniprogram")) {
    ViewMiniprogramEvent v{std::move(h), f.text("EventKey"), f.lenient_int("MenuId")};
    return Inbound(std::move(v));
  }
  if (iequals(e, "scancode_push") || iequals(e, "scancode_waitmsg")) {
    ScanCodeMenuEvent s;
    s.header = std::move(h);
    s.kind = iequals(e, "scancode_push") ? ScanCodeMenuEvent::Kind::kPush : ScanCodeMenuEvent::Kind::kWaitMsg;
    s.key = f.text("EventKey");
    QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node info, f.require("ScanCodeInfo"));
    s.scan_type = text_of(info.child("ScanType"));
    s.scan_result = text_of(info.child("ScanResult"));
    return Inbound(std::move(s));
  }
  if (iequals(e, "pic_sysphoto") || iequals(e, "pic_photo_or_album") || iequals(e, "pic_weixin")) {
    PicMenuEvent p;
    p.header = std::move(h);
    p.kind = iequals(e, "pic_sysphoto")         ? PicMenuEvent::Kind::kSysPhoto
             : iequals(e, "pic_photo_or_album") ? PicMenuEvent::Kind::kPhotoOrAlbum
                                                : PicMenuEvent::Kind::kWeixin;
    p.key = f.text("EventKey");
    QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node info, f.require("SendPicsInfo"));
    if (pugi::xml_node count = info.child("Count"); count) {
      QRSCENE_ASSIGN_OR_RETURN(p.count, to_integer<std::int64_t>(count, "Count"));
    }
    for (pugi::xml_node item = info.child("PicList").child("item"); item; item = item.next_sibling("item")) {
      p.pic_md5s.push_back(text_of(item.child("PicMd5Sum")));
    }
    return Inbound(std::move(p));
  }
  if (iequals(e, "location_select")) {
    LocationSelectMenuEvent l;
    l.header = std::move(h);
    l.key = f.text("EventKey");
    QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node info, f.require("SendLocationInfo"));
    QRSCENE_ASSIGN_OR_RETURN(l.latitude, to_double(info.child("Location_X"), "Location_X"));
    QRSCENE_ASSIGN_OR_RETURN(l.longitude, to_double(info.child("Location_Y"), "Location_Y"));
    if (pugi::xml_node scale = info.child("Scale"); scale) {
      QRSCENE_ASSIGN_OR_RETURN(l.scale, to_integer<std::int64_t>(scale, "Scale"));
    }
    l.label = text_of(info.child("Label"));
    l.poi_name = text_of(info.child("Poiname"));
    return Inbound(std::move(l));
  }
  if (iequals(e, "TEMPLATESENDJOBFINISH")) {
    TemplateSendJobFinishEvent t;
    t.header = std::move(h);
    // WeChat spells it MsgID in this event.
    QRSCENE_ASSIGN_OR_RETURN(t.msg_id, f.find("MsgID") ? f.msg_id("MsgID") : f.msg_id("MsgId"));
    t.status = f.text("Status");
    return Inbound(std::move(t));
  }
  if (iequals(e, "MASSSENDJOBFINISH")) {
    MassSendJobFinishEvent m;
    m.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(m.msg_id, f.find("MsgID") ? f.msg_id("MsgID") : f.msg_id("MsgId"));
    m.status = f.text("Status");
    QRSCENE_ASSIGN_OR_RETURN(m.total_count, f.integer_or_zero<std::int64_t>("TotalCount"));
    QRSCENE_ASSIGN_OR_RETURN(m.filter_count, f.integer_or_zero<std::int64_t>("FilterCount"));
    QRSCENE_ASSIGN_OR_RETURN(m.sent_count, f.integer_or_zero<std::int64_t>("SentCount"));
    QRSCENE_ASSIGN_OR_RETURN(m.error_count, f.integer_or_zero<std::int64_t>("ErrorCount"));
    return Inbound(std::move(m));
  }
  return Inbound(make_unknown(std::move(h), "event", std::string(e), f));
}

Result<Inbound> parse_message(PushHeader h, std::string_view type, const Fields& f) {
  if (iequals(type, "text")) {
    TextMessage m;
    m.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(m.msg_id, f.msg_id());
    m.content = f.text("Content");
    if (pugi::xml_node id = f.find("MsgDataId"); id && !trim(text_of(id)).empty()) {
      QRSCENE_ASSIGN_OR_RETURN(m.msg_data_id, to_integer<std::uint64_t>(id, "MsgDataId"));
    }
    QRSCENE_ASSIGN_OR_RETURN(m.idx, f.optional_int("Idx"));
    return Inbound(std::move(m));
  }
  if (iequals(type, "image")) {
    ImageMessage m;
    m.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(m.msg_id, f.msg_id());
    m.pic_url = f.text("PicUrl");
    m.media_id = f.text("MediaId");
    return Inbound(std::move(m));
  }
  if (iequals(type, "voice")) {
    VoiceMessage m;
    m.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(m.msg_id, f.msg_id());
    m.media_id = f.text("MediaId");
    m.format = f.text("Format");
    if (pugi::xml_node r = f.find("Recognition"); r) m.recognition = text_of(r);
    return Inbound(std::move(m));
  }
  if (iequals(type, "video") || iequals(type, "shortvideo")) {
    std::uint64_t id = 0;
    QRSCENE_ASSIGN_OR_RETURN(id, f.msg_id());
    if (iequals(type, "video")) return Inbound(VideoMessage{{std::move(h), id, f.text("MediaId"), f.text("ThumbMediaId")}});
    return Inbound(ShortVideoMessage{{std::move(h), id, f.text("MediaId"), f.text("ThumbMediaId")}});
  }
  if (iequals(type, "location")) {
    LocationMessage m;
    m.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(m.msg_id, f.msg_id());
    QRSCENE_ASSIGN_OR_RETURN(m.latitude, f.decimal("Location_X"));
    QRSCENE_ASSIGN_OR_RETURN(m.longitude, f.decimal("Location_Y"));
    QRSCENE_ASSIGN_OR_RETURN(m.scale, f.integer_or_zero<std::int64_t>("Scale"));
    m.label = f.text("Label");
    return Inbound(std::move(m));
  }
  if (iequals(type, "link")) {
    LinkMessage m;
    m.header = std::move(h);
    QRSCENE_ASSIGN_OR_RETURN(m.msg_id, f.msg_id());
    m.title = f.text("Title");
    m.description = f.text("Description");
    m.url = f.text("Url");
    return Inbound(std::move(m));
  }
  return Inbound(make_unknown(std::move(h), std::string(type), {}, f));
}

}  // namespace

Result<Inbound> parse_inbound(std::string_view xml, const ParseOptions& options) {
  pugi::xml_document doc;
  QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node root, load(doc, xml, options));
  Fields f;
  QRSCENE_TRY(collect(root, f));
  QRSCENE_ASSIGN_OR_RETURN(PushHeader h, parse_header(f));
  QRSCENE_ASSIGN_OR_RETURN(const std::string msg_type, f.required_text("MsgType"));
  const std::string_view type = trim(msg_type);
  if (type.empty()) return bad("<MsgType> is empty");
  if (iequals(type, "event")) return parse_event(std::move(h), f);
  return parse_message(std::move(h), type, f);
}

Result<EncryptedEnvelope> parse_encrypted_envelope(std::string_view xml, const ParseOptions& options) {
  pugi::xml_document doc;
  QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node root, load(doc, xml, options));
  Fields f;
  QRSCENE_TRY(collect(root, f));
  EncryptedEnvelope env;
  QRSCENE_ASSIGN_OR_RETURN(pugi::xml_node enc, f.require("Encrypt"));
  text_into(enc, env.encrypt);
  env.encrypt = std::string(trim(env.encrypt));
  if (env.encrypt.empty()) return bad("<Encrypt> is empty");
  env.to_user = f.text("ToUserName");
  return env;
}

const PushHeader& header_of(const Inbound& inbound) noexcept {
  return std::visit([](const auto& v) -> const PushHeader& { return v.header; }, inbound);
}

}  // namespace qrscene::wechat
