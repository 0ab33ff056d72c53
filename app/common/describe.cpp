#include "common/describe.hpp"

#include <chrono>

#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/pec.hpp>
#include <caf/sec.hpp>

#include "cursor_actor/error.hpp"

namespace cursor::app {

namespace {

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return text;
}

std::string code_name(const caf::error& err) {
  auto category = err.category();
  if (category == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(err.code()));
  if (category == caf::atom("exit"))
    return caf::to_string(static_cast<caf::exit_reason>(err.code()));
  if (category == caf::atom("parser"))
    return caf::to_string(static_cast<caf::pec>(err.code()));
  return caf::to_string(category) + " error " + std::to_string(err.code());
}

} // namespace

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() == caf::atom("cursor"))
    return one_line(cursor::render(err));
  auto result = code_name(err);
  const auto& ctx = err.context();
  std::string details;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!details.empty())
      details += ", ";
    if (ctx.match_element<std::string>(i))
      details += ctx.get_as<std::string>(i);
    else
      details += ctx.cvals()->stringify(i);
  }
  if (!details.empty())
    result += ": " + details;
  return one_line(std::move(result));
}

std::string duration_text(caf::timespan x) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
  if (ms >= 1000 && ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

} // namespace cursor::app
