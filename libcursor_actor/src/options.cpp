#include "cursor_actor/options.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string_view>

#include <unistd.h>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/settings.hpp>

#include "cursor_actor/error.hpp"

namespace cursor {

namespace {

caf::error bad(const std::string& option, const std::string& reason) {
  return caf::make_error(errc::invalid_option,
                         "cursor." + option + ": " + reason);
}

bool one_of(const std::string& value,
            std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// Every key of the [cursor] group; anything else there is a typo.
constexpr std::array<std::string_view, 12> known_keys{
    "db-path",          "journal-mode",
    "synchronous",      "max-page-count",
    "flush-interval",   "dirty-threshold",
    "retry-base-delay", "retry-multiplier",
    "retry-max-delay",  "retry-max-attempts",
    "open-timeout",     "checkpoint-every",
};

} // namespace

caf::timespan retry_policy::delay_after(uint32_t attempt) const {
  // Saturating: once the next product would pass max_delay (or overflow),
  // the answer is max_delay.
  auto delay = std::min(base_delay, max_delay);
  for (uint32_t i = 1; i < attempt && delay < max_delay; ++i) {
    if (multiplier > 1
        && delay.count() > max_delay.count() / static_cast<int64_t>(multiplier))
      return max_delay;
    delay *= multiplier;
  }
  return std::min(delay, max_delay);
}

namespace {

// SQLite's unix VFS opens names of at most 512 bytes (its mxPathname), as an
// absolute path, and appends "-journal" to the database's name.
constexpr size_t sqlite_max_pathname = 512;
constexpr size_t journal_suffix = 8; // "-journal"
constexpr size_t max_name = 255;     // NAME_MAX of Linux file systems

// A db-path SQLite cannot open, refused before anything is created: the
// host would otherwise create the directory, the lock file and an empty
// database file, and then fail with SQLite's "unable to open".
caf::error check_db_path_length(const std::string& db_path) {
  auto slash = db_path.rfind('/');
  auto name = slash == std::string::npos ? db_path : db_path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..")
    return bad("db-path", "'" + db_path
                              + "' names a directory, not a file (give the "
                                "database's file name, e.g. "
                              + (name.empty() ? db_path : db_path + "/")
                              + "cursors.db)");
  size_t start = 0;
  while (start < db_path.size()) {
    auto end = db_path.find('/', start);
    if (end == std::string::npos)
      end = db_path.size();
    auto limit = end == db_path.size() ? max_name - journal_suffix : max_name;
    if (end - start > limit)
      return bad("db-path", "a part of '" + db_path + "' has "
                                + std::to_string(end - start)
                                + " bytes; a file system allows "
                                + std::to_string(max_name)
                                + " (the file name at most "
                                + std::to_string(max_name - journal_suffix)
                                + ", for its -journal)");
    start = end + 1;
  }
  auto absolute = db_path;
  if (db_path.front() != '/') {
    std::unique_ptr<char, decltype(&std::free)> cwd{::getcwd(nullptr, 0),
                                                    &std::free};
    absolute = std::string{cwd ? cwd.get() : ""} + "/" + db_path;
  }
  if (absolute.size() + journal_suffix > sqlite_max_pathname)
    return bad("db-path",
               "'" + db_path + "' is " + std::to_string(absolute.size())
                   + " bytes long as an absolute path; SQLite opens "
                     "at most "
                   + std::to_string(sqlite_max_pathname - journal_suffix)
                   + " (512 with '-journal' appended)");
  return caf::none;
}

} // namespace

caf::error storage_options::validate() const {
  if (db_path.empty())
    return bad("db-path", "must not be empty");
  if (db_path.find('\0') != std::string::npos)
    return bad("db-path", "must not contain NUL");
  // SQLite as Debian builds it reads a name starting with "file:" as a URI
  // (even without SQLITE_OPEN_URI): its query could name another file or
  // mode than the one the store locks. A file whose name really starts so
  // is reached as ./file:...
  if (db_path.rfind("file:", 0) == 0)
    return bad("db-path", "'" + db_path
                              + "' is a SQLite URI; URIs are refused (give a "
                                "plain path, e.g. ./"
                              + db_path + " for a file of that name)");
  if (auto err = check_db_path_length(db_path))
    return err;
  if (!one_of(journal_mode, {"wal", "delete", "truncate", "persist"}))
    return bad("journal-mode", "'" + journal_mode
                                   + "' is not one of wal, delete, truncate, "
                                     "persist");
  if (!one_of(synchronous, {"off", "normal", "full", "extra"}))
    return bad("synchronous",
               "'" + synchronous + "' is not one of off, normal, full, extra");
  if (checkpoint_every > 1000000)
    return bad("checkpoint-every", "must be at most 1000000");
  return caf::none;
}

caf::error cursor_options::validate() const {
  if (auto err = storage.validate())
    return err;
  if (flush_interval.count() < 0)
    return bad("flush-interval", "must not be negative");
  if (retry.base_delay.count() <= 0)
    return bad("retry-base-delay", "must be positive");
  if (retry.max_delay < retry.base_delay)
    return bad("retry-max-delay", "must not be less than retry-base-delay");
  if (retry.multiplier < 1)
    return bad("retry-multiplier", "must be at least 1");
  if (retry.max_attempts < 1 || retry.max_attempts > 100)
    return bad("retry-max-attempts", "must be between 1 and 100");
  if (open_timeout.count() <= 0)
    return bad("open-timeout", "must be positive");
  return caf::none;
}

void add_options(caf::config_option_set& options) {
  caf::config_option_adder{options, "cursor"}
      .add<std::string>("db-path", "SQLite file (default "
                                   "data/replication_cursors.db)")
      .add<std::string>("journal-mode", "wal|delete|truncate|persist (wal)")
      .add<std::string>("synchronous", "off|normal|full|extra (full)")
      .add<size_t>("max-page-count", "cap on database pages, 0 = none (0)")
      .add<size_t>("checkpoint-every",
                   "WAL checkpoint after n writes, 0 = SQLite's automatic (20)")
      .add<caf::timespan>("flush-interval", "automatic flush, 0 = off (5s)")
      .add<size_t>("dirty-threshold", "flush early at N dirty, 0 = off (0)")
      .add<caf::timespan>("retry-base-delay", "first busy retry delay (10ms)")
      .add<size_t>("retry-multiplier", "delay factor per retry (2)")
      .add<caf::timespan>("retry-max-delay", "longest retry delay (500ms)")
      .add<size_t>("retry-max-attempts", "attempts per busy operation (5)")
      .add<caf::timespan>("open-timeout", "time to open and load (30s)");
}

caf::expected<cursor_options>
read_options(const caf::actor_system_config& cfg) {
  return read_options(cfg.content);
}

caf::expected<cursor_options> read_options(const caf::settings& content) {
  cursor_options result;
  if (auto group = caf::get_if<caf::settings>(&content, "cursor")) {
    for (auto& kvp : *group)
      if (std::find(known_keys.begin(), known_keys.end(), kvp.first)
          == known_keys.end())
        return bad(kvp.first, "unknown option");
  } else if (caf::get_if(&content, "cursor") != nullptr) {
    return bad("", "'cursor' must be a group");
  }
  caf::error err;
  auto read = [&](const char* key, auto& out) {
    using value_type = std::decay_t<decltype(out)>;
    if (err)
      return;
    std::string path = std::string{"cursor."} + key;
    auto raw = caf::get_if(&content, path);
    if (raw == nullptr)
      return;
    if (auto value = caf::get_if<value_type>(raw))
      out = *value;
    else
      err = bad(key, "has the wrong type (" + caf::to_string(*raw) + ")");
  };
  size_t max_pages = result.storage.max_page_count;
  size_t checkpoint_every = result.storage.checkpoint_every;
  size_t threshold = result.dirty_threshold;
  size_t multiplier = result.retry.multiplier;
  size_t attempts = result.retry.max_attempts;
  read("db-path", result.storage.db_path);
  read("journal-mode", result.storage.journal_mode);
  read("synchronous", result.storage.synchronous);
  read("max-page-count", max_pages);
  read("checkpoint-every", checkpoint_every);
  read("flush-interval", result.flush_interval);
  read("dirty-threshold", threshold);
  read("retry-base-delay", result.retry.base_delay);
  read("retry-multiplier", multiplier);
  read("retry-max-delay", result.retry.max_delay);
  read("retry-max-attempts", attempts);
  read("open-timeout", result.open_timeout);
  if (err)
    return err;
  if (multiplier > 1000)
    return bad("retry-multiplier", "must be at most 1000");
  if (attempts > 100)
    return bad("retry-max-attempts", "must be between 1 and 100");
  result.storage.max_page_count = max_pages;
  result.storage.checkpoint_every = checkpoint_every;
  result.dirty_threshold = threshold;
  result.retry.multiplier = static_cast<uint32_t>(multiplier);
  result.retry.max_attempts = static_cast<uint32_t>(attempts);
  if (auto verr = result.validate())
    return verr;
  return result;
}

} // namespace cursor
