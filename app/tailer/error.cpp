#include "tailer/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>

#include "common/describe.hpp"

namespace cursor::tailer {

std::string to_string(errc code) {
  switch (code) {
    case errc::none:
      return "none";
    case errc::redis_unreachable:
      return "redis_unreachable";
    case errc::redis_io:
      return "redis_io";
    case errc::redis_error:
      return "redis_error";
    case errc::redis_protocol:
      return "redis_protocol";
    case errc::gap:
      return "gap";
    case errc::source_behind:
      return "source_behind";
    case errc::target_behind:
      return "target_behind";
    case errc::target_hole:
      return "target_hole";
    case errc::store_unavailable:
      return "store_unavailable";
    case errc::no_gap_detection:
      return "no_gap_detection";
    case errc::source_replaced:
      return "source_replaced";
    case errc::source_ambiguous:
      return "source_ambiguous";
    case errc::target_removed:
      return "target_removed";
    case errc::target_foreign:
      return "target_foreign";
    case errc::diverged:
      return "diverged";
    case errc::target_unchecked:
      return "target_unchecked";
  }
  return "unknown_error";
}

namespace {

std::string render_tailer(uint8_t code, const caf::message& ctx) {
  auto result = to_string(static_cast<errc>(code));
  std::string text;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!text.empty())
      text += ' ';
    if (ctx.match_element<std::string>(i))
      text += ctx.get_as<std::string>(i);
    else
      text += ctx.cvals()->stringify(i);
  }
  if (!text.empty())
    result += ": " + text;
  return result;
}

} // namespace

std::string describe(const caf::error& err) {
  if (err && err.category() == caf::atom("tailer"))
    return render_tailer(err.code(), err.context());
  return app::describe(err);
}

bool is(const caf::error& err, errc code) {
  return err.category() == caf::atom("tailer")
         && err.code() == static_cast<uint8_t>(code);
}

bool stops_peer(const caf::error& err) {
  if (err.category() != caf::atom("tailer"))
    return false;
  switch (static_cast<errc>(err.code())) {
    case errc::gap:
    case errc::source_behind:
    case errc::target_behind:
    case errc::target_hole:
    case errc::no_gap_detection:
    case errc::source_replaced:
    case errc::source_ambiguous:
    case errc::target_removed:
    case errc::target_foreign:
    case errc::diverged:
      return true;
    default:
      return false;
  }
}

void register_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(caf::atom("tailer"), [](uint8_t code, caf::atom_value,
                                                 const caf::message& ctx) {
    return render_tailer(code, ctx);
  });
}

} // namespace cursor::tailer
