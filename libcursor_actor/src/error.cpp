#include "cursor_actor/error.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>

namespace cursor {

std::string to_string(errc code) {
  switch (code) {
    case errc::none:
      return "none";
    case errc::invalid_peer_id:
      return "invalid_peer_id";
    case errc::invalid_stream_id:
      return "invalid_stream_id";
    case errc::regression:
      return "regression";
    case errc::closed:
      return "closed";
    case errc::busy:
      return "busy";
    case errc::storage_error:
      return "storage_error";
    case errc::cannot_open:
      return "cannot_open";
    case errc::not_a_database:
      return "not_a_database";
    case errc::incompatible_schema:
      return "incompatible_schema";
    case errc::read_only:
      return "read_only";
    case errc::corrupt_row:
      return "corrupt_row";
    case errc::checkpoint_incomplete:
      return "checkpoint_incomplete";
    case errc::writer_down:
      return "writer_down";
    case errc::stopped:
      return "stopped";
    case errc::invalid_option:
      return "invalid_option";
    case errc::invalid_backup_name:
      return "invalid_backup_name";
    case errc::backup_exists:
      return "backup_exists";
    case errc::backups_disabled:
      return "backups_disabled";
    case errc::invalid_list_request:
      return "invalid_list_request";
    case errc::timeout:
      return "timeout";
    case errc::unavailable:
      return "unavailable";
    case errc::conflict:
      return "conflict";
  }
  return "unknown_error";
}

namespace {

// Context elements are strings by convention (see make_error call sites);
// anything else is rendered by CAF.
std::string render_context(const caf::message& ctx) {
  std::string result;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!result.empty())
      result += ' ';
    if (ctx.match_element<std::string>(i))
      result += ctx.get_as<std::string>(i);
    else
      result += ctx.cvals()->stringify(i);
  }
  return result;
}

} // namespace

std::string render(const caf::error& err) {
  if (!err)
    return "ok";
  if (err.category() != caf::atom("cursor"))
    return caf::to_string(err);
  auto result = to_string(static_cast<errc>(err.code()));
  auto ctx = render_context(err.context());
  if (!ctx.empty()) {
    result += ": ";
    result += ctx;
  }
  return result;
}

bool is(const caf::error& err, errc code) {
  return err.category() == caf::atom("cursor")
         && err.code() == static_cast<uint8_t>(code);
}

} // namespace cursor
