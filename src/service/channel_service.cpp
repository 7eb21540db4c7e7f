#include "service/channel_service.h"

#include <fmt/format.h>

#include <iterator>

#include "base/strings.h"
#include "service/api_support.h"

namespace qrscene::service {

using domain::ChannelKind;
using domain::ChannelStatus;

ChannelService::ChannelService(domain::ChannelRepository& channels, wechat::AccountClients& clients,
                               const Clock& clock, ChannelServiceOptions options, domain::JobQueue* notices)
    : channels_(channels), clients_(clients), clock_(clock), options_(options), notices_(notices) {}

namespace {

constexpr std::int64_t kMaxExpireSeconds = 2'592'000;  // 30 days, WeChat's maximum
// A channel's name, group and owner: they go into reports, file names and webhook bodies.
constexpr std::size_t kMaxLabelBytes = 200;

// What WeChat is asked for a channel's code (a scene already checked by domain::check_scene).
wechat::QrRequest qr_request(ChannelKind kind, const std::string& scene, bool scene_is_int,
                             std::int64_t expire_seconds) {
  wechat::QrRequest request;
  request.kind = kind == ChannelKind::kPermanent ? wechat::QrKind::kPermanent : wechat::QrKind::kTemporary;
  if (scene_is_int) {
    request.scene_id = std::stoll(scene);
  } else {
    request.scene_str = scene;
  }
  if (kind == ChannelKind::kTemporary) request.expire_seconds = expire_seconds;
  return request;
}

// A reply that cannot be sent is a problem of `field` (on_subscribe, on_scan); the message calls it
// `which` ("reply on subscribe: a text reply needs its text").
Status check_reply(const domain::ReplyChoice& r, std::string_view which, std::string_view field) {
  using Kind = domain::ReplyChoice::Kind;
  // Code reply_incomplete, params {"needs": the fields the reply's kind must have}.
  auto bad = [&](std::string what, std::string needs) {
    std::string text = fmt::format("{}: {}", which, what);
    return Error{ErrorCode::kInvalidArgument, std::move(text), 0,
                 {FieldError{std::string(field), std::move(what), "reply_incomplete", {{"needs", std::move(needs)}}}}};
  };
  if (r.kind == Kind::kText && r.text.empty()) return bad("a text reply needs its text", "text");
  if (r.kind == Kind::kImage && r.media_id.empty()) {
    return bad("an image reply needs the media_id of an uploaded image", "media_id");
  }
  if (r.kind == Kind::kNews && (r.title.empty() || r.url.empty())) {
    return bad("a news reply needs a title and a url", "title,url");
  }
  return {};
}

// A name, group or owner over kMaxLabelBytes.
Error label_too_long(const char* field, std::size_t size) {
  return field_error(field, fmt::format("at most {} bytes, got {}", kMaxLabelBytes, size), "too_long",
                     {{"max", std::to_string(kMaxLabelBytes)}});
}

Error evergreen_permanent() {
  return field_error("evergreen", "only temporary codes expire; a permanent code needs no renewal",
                     "evergreen_permanent");
}

Error spend_out_of_range(std::int64_t spend_cents) {
  return field_error("spend_cents",
                     fmt::format("must be 0..{} (¥10 billion in fen), got {}", domain::kMaxSpendCents, spend_cents),
                     "out_of_range", {{"min", "0"}, {"max", std::to_string(domain::kMaxSpendCents)}});
}

// The problems found, as one error: their messages one per line, their fields in order.
Status all_problems(std::vector<Error> problems) {
  if (problems.empty()) return {};
  Error all{ErrorCode::kInvalidArgument, std::string(), 0, {}};
  for (auto& p : problems) {
    if (&p != &problems.front()) all.message += '\n';
    all.message += p.message;
    all.fields.insert(all.fields.end(), std::make_move_iterator(p.fields.begin()),
                      std::make_move_iterator(p.fields.end()));
  }
  return all;
}

}  // namespace

Result<std::pair<std::string, bool>> ChannelService::choose_scene(const ChannelSpec& spec) {
  if (spec.scene) {
    QRSCENE_TRY(domain::check_scene(spec.kind, *spec.scene, !spec.string_scene));
    return std::pair{*spec.scene, !spec.string_scene};
  }
  const bool permanent = spec.kind == ChannelKind::kPermanent;
  if (permanent) {
    // A retired permanent scene costs no quota: the seeds' advice for the 100,000 codes.
    QRSCENE_ASSIGN_OR_RETURN(auto reusable, channels_.reusable_permanent_scene(spec.appid));
    if (reusable) return std::pair{std::move(*reusable), true};
  }
  const std::int64_t low = permanent ? 1 : domain::kTemporarySceneMin;
  const std::int64_t high = permanent ? domain::kPermanentSceneMax : domain::kTemporarySceneMax;
  QRSCENE_ASSIGN_OR_RETURN(std::int64_t highest, channels_.highest_int_scene(spec.appid, low, high));
  const std::int64_t next = std::max(highest + 1, low);
  if (next > high) {
    return unexpected(ErrorCode::kResourceExhausted,
                      fmt::format("every {} int scene ({}..{}) has been used: give a string scene, or reuse a "
                                  "retired scene by naming it",
                                  domain::to_string(spec.kind), low, high));
  }
  return std::pair{std::to_string(next), true};
}

Result<wechat::QrTicket> ChannelService::ask_for_code(wechat::ApiClient& client, const ChannelSpec& spec,
                                                       const std::pair<std::string, bool>& scene, bool known) {
  auto ticket = client.create_qrcode(qr_request(spec.kind, scene.first, scene.second, spec.expire_seconds));
  if (spec.kind != ChannelKind::kPermanent) return ticket;
  if (!ticket && ticket.error().detail == kWeChatQuotaSpent) {
    // WeChat is the judge of its quota: codes made elsewhere count too. Remembered, and shown (when
    // the store cannot remember it, the answer still says what WeChat said).
    (void)channels_.set_quota_refused(spec.appid, clock_.unix_seconds());
    return Error{ErrorCode::kResourceExhausted,
                 fmt::format("WeChat refused a new permanent code ({}): the account's {} are used up, counting codes "
                             "made outside qrscene. Reuse a retired permanent scene, or make a temporary channel",
                             kWeChatQuotaSpent, domain::kPermanentQuota),
                 kWeChatQuotaSpent};
  }
  if (ticket && !known) {
    // WeChat made a code that counts against its quota after all: the refusal is over (best effort).
    if (auto record = channels_.quota_record(spec.appid); record && record->refused_at != 0) {
      (void)channels_.set_quota_refused(spec.appid, 0);
    }
  }
  return ticket;
}

Result<std::int64_t> ChannelService::find_or_create_tag(wechat::ApiClient& client, const std::string& name) {
  QRSCENE_ASSIGN_OR_RETURN(auto tags, client.tags());
  for (const auto& t : tags) {
    if (t.name == name) return t.id;
  }
  QRSCENE_ASSIGN_OR_RETURN(auto made, client.create_tag(name));
  return made.id;
}

Result<domain::Channel> ChannelService::update(std::int64_t id, const ChannelEdit& edit) {
  QRSCENE_ASSIGN_OR_RETURN(auto c, channels_.channel(id));
  if (c.status == domain::ChannelStatus::kRetired) {
    return unexpected(ErrorCode::kFailedPrecondition, fmt::format("channel {} is retired: create a new one", id));
  }
  std::vector<Error> problems;
  // A name of spaces only is no name: it would show as a blank row.
  if (edit.name && trim(*edit.name).empty()) problems.push_back(field_error("name", "must not be empty", "required"));
  for (const auto& [field, text] : {std::pair{"name", &edit.name}, std::pair{"group", &edit.group},
                                    std::pair{"owner", &edit.owner}}) {
    if (*text && (*text)->size() > kMaxLabelBytes) {
      problems.push_back(label_too_long(field, (*text)->size()));
    }
  }
  if (edit.evergreen && *edit.evergreen && c.kind == ChannelKind::kPermanent) {
    problems.push_back(evergreen_permanent());
  }
  if (edit.spend_cents && (*edit.spend_cents < 0 || *edit.spend_cents > domain::kMaxSpendCents)) {
    problems.push_back(spend_out_of_range(*edit.spend_cents));
  }
  if (edit.on_subscribe) {
    if (auto ok = check_reply(*edit.on_subscribe, "reply on subscribe", "on_subscribe"); !ok) {
      problems.push_back(std::move(ok).error());
    }
  }
  if (edit.on_scan) {
    if (auto ok = check_reply(*edit.on_scan, "reply on scan", "on_scan"); !ok) {
      problems.push_back(std::move(ok).error());
    }
  }
  QRSCENE_TRY(all_problems(std::move(problems)));
  if (edit.tag) {
    if (edit.tag->empty()) {
      c.wechat_tag_id = 0;
    } else {
      QRSCENE_ASSIGN_OR_RETURN(wechat::ApiClient * client, clients_.get(c.appid));
      QRSCENE_ASSIGN_OR_RETURN(c.wechat_tag_id, find_or_create_tag(*client, *edit.tag));
    }
  }
  if (edit.name) c.name = *edit.name;
  if (edit.group) c.group = *edit.group;
  if (edit.owner) c.owner = *edit.owner;
  if (edit.on_subscribe) c.on_subscribe = *edit.on_subscribe;
  if (edit.on_scan) c.on_scan = *edit.on_scan;
  if (edit.evergreen) c.evergreen = *edit.evergreen;
  if (edit.spend_cents) c.spend_cents = *edit.spend_cents;
  QRSCENE_TRY(channels_.update_channel(c));
  return c;
}

Result<domain::Channel> ChannelService::create(const ChannelSpec& spec) {
  std::vector<Error> problems;
  if (trim(spec.name).empty()) problems.push_back(field_error("name", "required", "required"));
  for (const auto& [field, text] : {std::pair{"name", &spec.name}, std::pair{"group", &spec.group},
                                    std::pair{"owner", &spec.owner}}) {
    if (text->size() > kMaxLabelBytes) {
      problems.push_back(label_too_long(field, text->size()));
    }
  }
  if (spec.kind == ChannelKind::kPermanent && spec.evergreen) {
    problems.push_back(evergreen_permanent());
  }
  if (spec.kind == ChannelKind::kTemporary && (spec.expire_seconds < 60 || spec.expire_seconds > kMaxExpireSeconds)) {
    problems.push_back(
        field_error("expire_seconds", fmt::format("must be 60..2592000 (30 days); got {}", spec.expire_seconds),
                    "out_of_range", {{"min", "60"}, {"max", std::to_string(kMaxExpireSeconds)}}));
  }
  if (spec.spend_cents < 0 || spec.spend_cents > domain::kMaxSpendCents) {
    problems.push_back(spend_out_of_range(spec.spend_cents));
  }
  if (auto ok = check_reply(spec.on_subscribe, "reply on subscribe", "on_subscribe"); !ok) {
    problems.push_back(std::move(ok).error());
  }
  if (auto ok = check_reply(spec.on_scan, "reply on scan", "on_scan"); !ok) problems.push_back(std::move(ok).error());
  QRSCENE_TRY(all_problems(std::move(problems)));
  QRSCENE_ASSIGN_OR_RETURN(wechat::ApiClient * client, clients_.get(spec.appid));

  std::lock_guard lock(create_mu_);
  QRSCENE_ASSIGN_OR_RETURN(auto scene, choose_scene(spec));
  bool known = false;  // a permanent scene WeChat counted already: making its code again costs no quota
  if (spec.kind == ChannelKind::kPermanent) {
    QRSCENE_ASSIGN_OR_RETURN(known, channels_.permanent_scene_known(spec.appid, scene.first));
    QRSCENE_ASSIGN_OR_RETURN(QuotaMeter meter, quota(spec.appid));
    if (!known && meter.used >= domain::kPermanentQuota) {
      return unexpected(ErrorCode::kResourceExhausted,
                        fmt::format("the account has used all {} permanent codes WeChat allows: reuse a retired "
                                    "permanent scene, or make a temporary channel",
                                    domain::kPermanentQuota));
    }
  }
  // A live channel holding the scene is refused before WeChat is asked (the store refuses it again,
  // atomically, should two creations race).
  QRSCENE_ASSIGN_OR_RETURN(auto holder, channels_.scene_meant(spec.appid, scene.first, clock_.unix_seconds()));
  if (holder) {
    QRSCENE_ASSIGN_OR_RETURN(auto held, channels_.channel(*holder));
    std::string why = fmt::format("scene '{}' belongs to channel {} ({}): retire that channel first, or choose "
                                  "another scene",
                                  held.scene, held.id, held.name);
    // A conflict (409) that names the field, so that a client can word it in its own language.
    FieldError taken{"scene", why, "scene_taken", {{"channel", held.name}, {"channel_id", std::to_string(held.id)}}};
    return Error{ErrorCode::kAlreadyExists, std::move(why), 0, {std::move(taken)}};
  }

  std::int64_t tag_id = 0;
  if (!spec.tag.empty()) {
    QRSCENE_ASSIGN_OR_RETURN(tag_id, find_or_create_tag(*client, spec.tag));
  }

  QRSCENE_ASSIGN_OR_RETURN(auto ticket, ask_for_code(*client, spec, scene, known));

  domain::Channel c;
  c.appid = spec.appid;
  c.name = spec.name;
  c.group = spec.group;
  c.owner = spec.owner;
  c.kind = spec.kind;
  c.scene = scene.first;
  c.scene_is_int = scene.second;
  c.ticket = ticket.ticket;
  c.url = ticket.url;
  c.expires_at = ticket.expires_at;
  c.on_subscribe = spec.on_subscribe;
  c.on_scan = spec.on_scan;
  c.spend_cents = spec.spend_cents;
  c.wechat_tag_id = tag_id;
  c.evergreen = spec.evergreen;
  return channels_.create_channel(std::move(c));
}

Result<domain::Channel> ChannelService::show(std::int64_t id) { return channels_.channel(id); }

Result<std::vector<domain::Channel>> ChannelService::list(std::string_view appid) { return channels_.channels(appid); }

Result<domain::Channel> ChannelService::set_status(std::int64_t id, ChannelStatus status) {
  QRSCENE_ASSIGN_OR_RETURN(auto current, channels_.channel(id));
  QRSCENE_TRY(domain::check_status_change(current.status, status));
  if (current.status != status) QRSCENE_TRY(channels_.set_status(id, status));
  return channels_.channel(id);
}

Result<QuotaMeter> ChannelService::quota(std::string_view appid) {
  QRSCENE_ASSIGN_OR_RETURN(std::int64_t made, channels_.permanent_scenes_used(appid));
  QRSCENE_ASSIGN_OR_RETURN(auto record, channels_.quota_record(appid));
  QuotaMeter m;
  m.made = made;
  m.external = record.external;
  m.used = made + record.external;
  m.refused_at = record.refused_at;
  m.left = record.refused_at != 0 ? 0 : std::max<std::int64_t>(0, domain::kPermanentQuota - m.used);
  return m;
}

Result<QuotaMeter> ChannelService::set_external_codes(std::string_view appid, std::int64_t count) {
  if (count < 0 || count > domain::kPermanentQuota) {
    return field_error("external",
                       fmt::format("must be 0..{}, the permanent codes made outside qrscene; got {}",
                                   domain::kPermanentQuota, count),
                       "out_of_range", {{"min", "0"}, {"max", std::to_string(domain::kPermanentQuota)}});
  }
  QRSCENE_TRY(channels_.set_external_permanent(appid, count));
  return quota(appid);
}

ExpiryOutlook ChannelService::outlook(const domain::Channel& c) const {
  ExpiryOutlook o;
  if (c.kind != ChannelKind::kTemporary || c.expires_at == 0 || c.status == ChannelStatus::kRetired) return o;
  o.expires_in = c.expires_at - clock_.unix_seconds();
  // Paused codes are not renewed either (upkeep leaves them alone).
  const bool dies = !c.evergreen || c.renewal_failed_at != 0 || c.status == ChannelStatus::kPaused;
  o.warn = dies && c.status != ChannelStatus::kExpired && *o.expires_in <= options_.warn_ahead_seconds;
  return o;
}

void ChannelService::notify(const domain::Channel& c, std::string_view notice, std::string error,
                            UpkeepReport& report) {
  if (notices_ == nullptr) return;
  domain::ChannelNoticeJob n{std::string(notice), c.appid, c.id,      c.name, c.scene, c.url, c.expires_at,
                             std::move(error),    clock_.unix_seconds()};
  if (auto queued = notices_->enqueue_job(c.appid, n, clock_.unix_seconds()); !queued) {
    report.errors.push_back(fmt::format("channel {} ({}): {}: {}", c.id, c.name, notice, queued.error().message));
  }
}

void ChannelService::renew(const domain::Channel& c, UpkeepReport& report) {
  // WeChat lets a temporary scene be asked for again: a new ticket for the same scene.
  auto renewed = [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(wechat::ApiClient * client, clients_.get(c.appid));
    QRSCENE_ASSIGN_OR_RETURN(auto ticket, client->create_qrcode(qr_request(ChannelKind::kTemporary, c.scene,
                                                                             c.scene_is_int, kMaxExpireSeconds)));
    return channels_.set_ticket(c.id, ticket.ticket, ticket.url, ticket.expires_at);
  }();
  if (renewed) {
    report.renewed.push_back(c.id);
    return;
  }
  // Shown on the channel (the API, the dashboard, /metrics) until a renewal works; the backend is
  // told of the first failure in a row.
  report.failed.push_back(c.id);
  report.errors.push_back(fmt::format("channel {} ({}): renewal failed: {}", c.id, c.name, renewed.error().message));
  // What the channel, the dashboard and the webhook show: WeChat's reason, never a database's text.
  const std::string reason = public_error(renewed.error()).message;
  if (auto noted = channels_.set_renewal_failure(c.id, clock_.unix_seconds(), reason); !noted) {
    report.errors.push_back(noted.error().message);
  }
  if (c.renewal_failed_at == 0) notify(c, "channel.renewal_failed", reason, report);
}

UpkeepReport ChannelService::upkeep() {
  UpkeepReport report;
  auto all = channels_.channels("");
  if (!all) {
    report.errors.push_back(all.error().message);
    return report;
  }
  const std::int64_t now = clock_.unix_seconds();
  for (const auto& c : *all) {
    if (c.kind != ChannelKind::kTemporary || c.expires_at == 0 || c.status == ChannelStatus::kRetired) continue;
    // A code that will die: the backend is told once per expiry (the dashboard and the API say so
    // whenever asked).
    if (outlook(c).warn && c.expiry_noticed != c.expires_at) {
      // Remembered first: a store that cannot remember it does not send it again every minute.
      if (auto noted = channels_.set_expiry_noticed(c.id, c.expires_at); noted) {
        notify(c, "channel.expiring", "", report);
      } else {
        report.errors.push_back(noted.error().message);
      }
    }
    if (c.status == ChannelStatus::kPaused) continue;
    if (c.evergreen && c.expires_at - now <= options_.renew_ahead_seconds) {
      renew(c, report);
      continue;
    }
    if (!c.evergreen && c.status == ChannelStatus::kActive && c.expires_at <= now) {
      if (auto flagged = channels_.set_status(c.id, ChannelStatus::kExpired); flagged) {
        report.expired.push_back(c.id);
      } else {
        report.errors.push_back(flagged.error().message);
      }
    }
  }
  // The channels as the pass left them, for /metrics (read here, on the upkeep's thread, not on a
  // scrape's I/O thread).
  if (auto after = channels_.channels(""); after) {
    for (const auto& c : *after) {
      if (c.status != ChannelStatus::kRetired && c.renewal_failed_at != 0) ++report.renewal_failing;
      if (outlook(c).warn) ++report.expiring;
    }
  } else {
    report.errors.push_back(after.error().message);
  }
  return report;
}

}  // namespace qrscene::service
