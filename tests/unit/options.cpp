#define CAF_SUITE options

#include "cursor_actor/options.hpp"

#include "test.hpp"

#include <limits>

using namespace std::chrono_literals;

namespace {

struct options_config : caf::actor_system_config {
  options_config() { cursor::add_options(custom_options_); }
};

caf::expected<cursor::cursor_options> parse(const std::string& ini) {
  options_config cfg;
  std::istringstream in{ini};
  const char* argv[] = {"test"};
  if (auto err = cfg.parse(1, const_cast<char**>(argv), in))
    return err;
  return cursor::read_options(cfg);
}

} // namespace

CAF_TEST(the default backoff is 10 20 40 80 ms capped at 500 ms) {
  cursor::retry_policy p;
  CAF_CHECK_EQUAL(p.max_attempts, 5u);
  CAF_CHECK(p.delay_after(1) == caf::timespan{10ms});
  CAF_CHECK(p.delay_after(2) == caf::timespan{20ms});
  CAF_CHECK(p.delay_after(3) == caf::timespan{40ms});
  CAF_CHECK(p.delay_after(4) == caf::timespan{80ms});
  CAF_CHECK(p.delay_after(6) == caf::timespan{320ms});
  CAF_CHECK(p.delay_after(7) == caf::timespan{500ms});
  CAF_CHECK(p.delay_after(60) == caf::timespan{500ms});
}

// Issue 12, defect 3: the delay used to overflow into a negative value.
CAF_TEST(the backoff saturates at the longest delay instead of overflowing) {
  cursor::retry_policy p;
  p.base_delay = 1ms;
  p.multiplier = 1000;
  p.max_delay = caf::timespan::max();
  // 1ms * 1000^4 = 10^9 s still fits; one more step would not.
  CAF_CHECK(p.delay_after(5)
            == caf::timespan{std::chrono::seconds(1000000000)});
  CAF_CHECK(p.delay_after(6) == caf::timespan::max());
  caf::timespan last{0};
  for (uint32_t attempt = 1; attempt <= 100; ++attempt) {
    auto d = p.delay_after(attempt);
    CHECK_MSG(d >= last, "attempt " << attempt << ": " << d.count()
                                    << " ns after " << last.count() << " ns");
    last = d;
  }
  CAF_CHECK(p.delay_after(100) == caf::timespan::max());
  p.multiplier = std::numeric_limits<uint32_t>::max();
  p.max_delay = 1h;
  CAF_CHECK(p.delay_after(2) == caf::timespan{1h});
  CAF_CHECK(p.delay_after(3) == caf::timespan{1h});
  // The options stay valid: no multiplier can overflow any more.
  cursor::cursor_options opts;
  opts.retry = p;
  CAF_CHECK(!opts.validate());
}

CAF_TEST(defaults are valid) {
  cursor::cursor_options opts;
  CAF_CHECK(!opts.validate());
  CAF_CHECK(opts.flush_interval == caf::timespan{5s});
  CAF_CHECK_EQUAL(opts.storage.journal_mode, "wal");
  CAF_CHECK_EQUAL(opts.storage.synchronous, "full");
}

CAF_TEST(out of range values are refused naming the option) {
  auto check = [](auto mutate, const char* option) {
    cursor::cursor_options opts;
    mutate(opts);
    auto err = opts.validate();
    CAF_CHECK(cursor::is(err, cursor::errc::invalid_option));
    CHECK_MSG(cursor::render(err).find(option) != std::string::npos,
              cursor::render(err));
  };
  check([](auto& o) { o.storage.db_path.clear(); }, "db-path");
  check([](auto& o) { o.storage.journal_mode = "wall"; }, "journal-mode");
  check([](auto& o) { o.storage.synchronous = "sometimes"; }, "synchronous");
  check([](auto& o) { o.retry.base_delay = caf::timespan{0}; },
        "retry-base-delay");
  check([](auto& o) { o.retry.max_delay = 1ms; }, "retry-max-delay");
  check([](auto& o) { o.retry.multiplier = 0; }, "retry-multiplier");
  check([](auto& o) { o.retry.max_attempts = 0; }, "retry-max-attempts");
  check([](auto& o) { o.flush_interval = caf::timespan{-1}; },
        "flush-interval");
  check([](auto& o) { o.storage.checkpoint_every = 2000000; },
        "checkpoint-every");
  check([](auto& o) { o.storage.db_path = "file:cursors.db?mode=rwc"; }, "URI");
}

// Issue 17: such paths left an empty database or a lock file behind and
// failed with SQLite's vague "unable to open".
CAF_TEST(a db path that names a directory or is too long for SQLite is refused) {
  auto refused = [](const std::string& path, const char* needle) {
    cursor::cursor_options opts;
    opts.storage.db_path = path;
    auto err = opts.validate();
    CAF_CHECK(cursor::is(err, cursor::errc::invalid_option));
    CHECK_MSG(cursor::render(err).find(needle) != std::string::npos,
              cursor::render(err));
  };
  refused("data/", "names a directory, not a file");
  refused("/var/lib/cursor/.", "names a directory");
  refused("data/..", "names a directory");
  refused("/" + std::string(200, 'd') + "/" + std::string(200, 'e') + "/"
              + std::string(200, 'x') + ".db",
          "SQLite opens at most 504");
  refused("/tmp/" + std::string(250, 'x') + ".db", "the file name at most");
  refused(std::string(300, 'd') + "/c.db", "a file system allows 255");
  cursor::cursor_options opts;
  opts.storage.db_path
      = "/" + std::string(200, 'd') + "/" + std::string(200, 'e') + "/c.db";
  CAF_CHECK(!opts.validate());
}

CAF_TEST(a plain path that merely contains file colon is accepted) {
  cursor::cursor_options opts;
  opts.storage.db_path = "./file:cursors.db";
  CAF_CHECK(!opts.validate());
  opts.storage.db_path = "data/file:x.db";
  CAF_CHECK(!opts.validate());
}

CAF_TEST(options are read from the cursor group of the config) {
  auto opts = parse("[cursor]\n"
                    "db-path=\"/tmp/x.db\"\n"
                    "flush-interval=250ms\n"
                    "dirty-threshold=100\n"
                    "retry-base-delay=5ms\n"
                    "retry-max-attempts=7\n"
                    "synchronous=\"full\"\n"
                    "checkpoint-every=0\n");
  REQUIRE_MSG(opts, cursor::render(opts.error()));
  CAF_CHECK_EQUAL(opts->storage.db_path, "/tmp/x.db");
  CAF_CHECK(opts->flush_interval == caf::timespan{250ms});
  CAF_CHECK_EQUAL(opts->dirty_threshold, 100u);
  CAF_CHECK(opts->retry.base_delay == caf::timespan{5ms});
  CAF_CHECK_EQUAL(opts->retry.max_attempts, 7u);
  CAF_CHECK_EQUAL(opts->storage.synchronous, "full");
  CAF_CHECK_EQUAL(opts->storage.checkpoint_every, 0u);
}

CAF_TEST(unknown keys in the cursor group are refused) {
  auto opts = parse("[cursor]\nflush-intervall=1s\n");
  CAF_REQUIRE(!opts);
  CAF_CHECK(cursor::is(opts.error(), cursor::errc::invalid_option));
  CAF_CHECK(cursor::render(opts.error()).find("flush-intervall")
            != std::string::npos);
}

CAF_TEST(wrong typed values in a raw config file are refused) {
  // CAF's typed parse drops these silently; the raw parse keeps them.
  for (auto ini :
       {"[cursor]\nflush-interval=\"abc\"\n", "[cursor]\nflush-interval=5\n",
        "[cursor]\ndirty-threshold=\"many\"\n", "[cursor]\ndb-path=42\n",
        "[cursor]\ndirty-threshold=-5\n"}) {
    std::istringstream in{ini};
    auto raw = caf::actor_system_config::parse_config(in);
    REQUIRE_MSG(raw, ini);
    auto opts = cursor::read_options(*raw);
    CHECK_MSG(!opts && cursor::is(opts.error(), cursor::errc::invalid_option),
              "accepted " << ini);
  }
  std::istringstream good{"[cursor]\nflush-interval=2s\ndb-path=\"a.db\"\n"};
  auto raw = caf::actor_system_config::parse_config(good);
  CAF_REQUIRE(raw);
  auto opts = cursor::read_options(*raw);
  REQUIRE_MSG(opts, cursor::render(opts.error()));
  CAF_CHECK(opts->flush_interval == caf::timespan{2s});
}

CAF_TEST(invalid values in the config are refused) {
  auto opts = parse("[cursor]\nretry-max-attempts=0\n");
  CAF_CHECK(!opts && cursor::is(opts.error(), cursor::errc::invalid_option));
  opts = parse("[cursor]\njournal-mode=\"memory\"\n");
  CAF_CHECK(!opts && cursor::is(opts.error(), cursor::errc::invalid_option));
}
