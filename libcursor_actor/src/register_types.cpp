#include "cursor_actor/register_types.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>

#include "cursor_actor/checkpoint_info.hpp"
#include "cursor_actor/cursor_entry.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/stats.hpp"
#include "write_batch.hpp"

namespace cursor {

void register_types(caf::actor_system_config& cfg) {
  // add_message_type<T> also announces std::vector<T>.
  cfg.add_message_type<cursor_entry>("cursor::cursor_entry");
  cfg.add_message_type<cursor_page>("cursor::cursor_page");
  cfg.add_message_type<cursor_lookup>("cursor::cursor_lookup");
  cfg.add_message_type<cursor_stats>("cursor::cursor_stats");
  cfg.add_message_type<checkpoint_info>("cursor::checkpoint_info");
  cfg.add_message_type<stored_cursor>("cursor::stored_cursor");
  cfg.add_message_type<write_op>("cursor::write_op");
  cfg.add_message_type<write_batch>("cursor::write_batch");
  cfg.add_error_category(caf::atom("cursor"), [](uint8_t code, caf::atom_value,
                                                 const caf::message& ctx) {
    return render(caf::error{code, caf::atom("cursor"), ctx});
  });
}

} // namespace cursor
