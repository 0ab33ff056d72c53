#include "lifecycle.hpp"

#include "cursor_actor/error.hpp"

namespace cursor {

bool lifecycle_transition(lifecycle from, lifecycle to) {
  switch (to) {
    case lifecycle::open:
      return from == lifecycle::closing; // close's final flush failed
    case lifecycle::closing:
      return from == lifecycle::open;
    case lifecycle::closed:
      return from == lifecycle::closing;
    case lifecycle::stopping:
      return from != lifecycle::stopping;
  }
  return false;
}

const char* to_string(lifecycle x) {
  switch (x) {
    case lifecycle::open:
      return "open";
    case lifecycle::closing:
      return "closing";
    case lifecycle::closed:
      return "closed";
    case lifecycle::stopping:
      return "stopping";
  }
  return "?";
}

caf::error closed_error(lifecycle x) {
  switch (x) {
    case lifecycle::stopping:
      return caf::make_error(errc::closed, "the store is stopping");
    case lifecycle::closing:
      return caf::make_error(errc::closed, "the store is closing");
    default:
      return caf::make_error(errc::closed, "the store is closed");
  }
}

} // namespace cursor
