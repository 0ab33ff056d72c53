#define CAF_SUITE host_config

#include "common/host_config.hpp"

#include <fstream>
#include <string>

#include <caf/test/unit_test.hpp>

#include "has_text.hpp"
#include "temp_dir.hpp"
#include "test_program.hpp"

using namespace cursor::app;
using test_host::args;
using test_host::has;
using test_host::temp_dir;
using test_host::test_program;

namespace {

struct fixture {
  temp_dir dir;
  test_program prog;

  std::string ini(const std::string& text) {
    auto path = dir.path("t.ini");
    std::ofstream{path} << text;
    return "--config-file=" + path;
  }

  config_outcome read(std::vector<std::string> xs) {
    host_config cfg{prog};
    args a{std::move(xs)};
    return cfg.read(a.argc(), a.argv());
  }

  // The refusal of `xs`, checked to be one line starting with `prefix`.
  std::string refusal(std::vector<std::string> xs) {
    auto x = read(std::move(xs));
    CAF_CHECK(!x.options);
    CAF_CHECK(!x.printed_help);
    CAF_CHECK(x.error.find('\n') == std::string::npos);
    return x.error;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(host_config_tests, fixture)

CAF_TEST(the host reads its options from the group of the program) {
  auto db = dir.path("c.db");
  auto x = read({"--cursor.db-path=" + db, "--test.value=3",
                 "--test.metrics-file=" + dir.path("m.prom"),
                 "--test.metrics-interval=250ms", "--test.log-level=debug"});
  CAF_REQUIRE(x.options.has_value());
  CAF_CHECK_EQUAL(x.error, "");
  const auto& opts = *x.options;
  CAF_CHECK_EQUAL(prog.value, 3);
  CAF_REQUIRE(opts.store.has_value());
  CAF_CHECK_EQUAL(opts.store->storage.db_path, db);
  // The program's default request timeout, the host's lock file default.
  CAF_CHECK(opts.request_timeout == std::chrono::seconds(7));
  CAF_CHECK_EQUAL(opts.lock_file, db + ".lock");
  CAF_CHECK_EQUAL(opts.metrics_file, dir.path("m.prom"));
  CAF_CHECK(opts.metrics_interval == std::chrono::milliseconds(250));
  CAF_CHECK_EQUAL(opts.log_level, "debug");
  CAF_CHECK(!opts.tls.any());
}

CAF_TEST(help and version print and start nothing) {
  auto x = read({"--help"});
  CAF_CHECK(x.printed_help);
  CAF_CHECK(!x.options);
  x = read({"--version"});
  CAF_CHECK(x.printed_help);
  CAF_CHECK(prog.calls.empty());
}

CAF_TEST(a stray argument is refused with the example of the program) {
  auto err = refusal({"stray"});
  CAF_CHECK(has(err, "unexpected argument 'stray'"));
  CAF_CHECK(has(err, "--test.value=1"));
}

CAF_TEST(a key given twice in the INI file is refused with both lines) {
  auto err = refusal({ini("[test]\nvalue=1\nlog-level=\"info\"\nvalue=2\n")});
  CAF_CHECK(has(err, "key 'test.value' appears twice"));
  CAF_CHECK(has(err, "(lines 2 and 4)"));
  // The program's own options are not read from a refused file.
  CAF_CHECK(prog.calls == std::vector<std::string>{"check_file"});
}

CAF_TEST(unknown keys and values of the wrong type in the INI are refused) {
  CAF_CHECK(
      has(refusal({ini("[test]\nbogus=1\n")}), "unknown option 'test.bogus'"));
  CAF_CHECK(has(refusal({ini("[test]\nshutdown-timeout=5\n")}),
                "'test.shutdown-timeout' in config file"));
  CAF_CHECK(has(refusal({ini("[test]\nmetrics-file=5\n")}),
                "'test.metrics-file' in config file"));
}

CAF_TEST(the program checks the file first in its own terms) {
  auto err = refusal({ini("[test]\nname=\"forbidden\"\nbogus=1\n")});
  CAF_CHECK(has(err, "invalid configuration: test.name: forbidden (in '"));
}

CAF_TEST(values of the host out of range are refused) {
  CAF_CHECK(has(refusal({"--test.request-timeout=5ms"}),
                "test.request-timeout: must be at least 10ms"));
  CAF_CHECK(has(refusal({"--test.shutdown-timeout=0s"}),
                "test.shutdown-timeout: must be positive"));
  CAF_CHECK(has(refusal({"--test.metrics-interval=99ms"}),
                "test.metrics-interval: must be at least 100ms"));
  CAF_CHECK(has(refusal({"--test.log-level=loud"}),
                "test.log-level: 'loud' is not one of"));
  CAF_CHECK(has(refusal({"--test.value=-1"}),
                "invalid configuration: test.value: must not be negative"));
  CAF_CHECK(has(refusal({"--cursor.journal-mode=sideways"}),
                "invalid configuration: "));
}

CAF_TEST(a shutdown deadline shorter than twice the stop notice is refused) {
  // 10s by default: a program that notices a stop only after 6 s would
  // overrun every deadline (a failed shutdown, exit 4).
  prog.stop_notice = std::chrono::seconds(6);
  CAF_CHECK(has(refusal({"--test.value=1"}),
                "invalid configuration: test.shutdown-timeout: must be at "
                "least twice test.value (a stop may take that long to be "
                "noticed)"));
  CAF_CHECK(read({"--test.shutdown-timeout=12s"}).options.has_value());
  prog.stop_notice = std::chrono::seconds(5);
  CAF_CHECK(read({"--test.value=1"}).options.has_value());
}

CAF_TEST(
    without an embedded store the store options and lock file are refused) {
  prog.embedded = false;
  auto x = read({"--test.value=1"});
  CAF_REQUIRE(x.options.has_value());
  CAF_CHECK(!x.options->store.has_value());
  CAF_CHECK_EQUAL(x.options->lock_file, "");
  auto err = refusal({"--cursor.db-path=x.db"});
  CAF_CHECK(has(err, "cursor.db-path: the cursor.* options configure the "
                     "embedded store, but test.remote names a remote one"));
  err = refusal({"--test.lock-file=x.lock"});
  CAF_CHECK(has(err, "test.lock-file: only for the embedded store"));
}

CAF_TEST(tls options are refused where the program says so) {
  prog.tls_refusal = "no TLS here";
  CAF_CHECK(has(refusal({"--tls.certificate=c.pem"}),
                "invalid configuration: tls: no TLS here"));
  // CAF's own openssl options would be ignored: refused in any case.
  prog.tls_refusal.clear();
  CAF_CHECK(has(refusal({"--openssl.certificate=c.pem"}),
                "CAF's openssl.* options are not used by test_prog"));
}

CAF_TEST(a passphrase is given inline or in a file but not both) {
  auto file = dir.path("pass.txt");
  std::ofstream{file} << "secret\n";
  auto err = refusal({"--tls.passphrase=x", "--tls.passphrase-file=" + file});
  CAF_CHECK(has(err, "set tls.passphrase or tls.passphrase-file, not both"));
  err = refusal({"--tls.passphrase-file=" + dir.path("missing.txt")});
  CAF_CHECK(has(err, "tls.passphrase-file: '"));
  // A passphrase alone is an incomplete TLS set, whichever option gave it.
  auto incomplete = "TLS needs tls.certificate, tls.key and tls.ca-file "
                    "together; not set: tls.certificate, tls.key, tls.ca-file";
  CAF_CHECK(has(refusal({"--tls.passphrase-file=" + file}), incomplete));
  CAF_CHECK(has(refusal({"--tls.passphrase=x"}), incomplete));
}

CAF_TEST(the http endpoint is configured in the group of the program) {
  auto db = "--cursor.db-path=" + dir.path("c.db");
  auto x = read({db});
  CAF_REQUIRE(x.options.has_value());
  CAF_CHECK(!x.options->http_address);
  x = read({db, "--test.http-address=127.0.0.1:0", "--test.http-timeout=3s",
            "--test.http-max-connections=5"});
  CAF_REQUIRE(x.options.has_value());
  CAF_REQUIRE(x.options->http_address.has_value());
  CAF_CHECK_EQUAL(x.options->http_address->to_string(), "127.0.0.1:0");
  CAF_CHECK(x.options->http_timeout == std::chrono::seconds(3));
  CAF_CHECK_EQUAL(x.options->http_max_connections, 5u);
  // From the INI file too, with the defaults.
  x = read({db, ini("[test]\nhttp-address=\"[::1]:9464\"\n")});
  CAF_REQUIRE(x.options.has_value());
  CAF_CHECK_EQUAL(x.options->http_address->to_string(), "[::1]:9464");
  CAF_CHECK(x.options->http_timeout == std::chrono::seconds(10));
  CAF_CHECK_EQUAL(x.options->http_max_connections, 32u);
}

CAF_TEST(bad http options are refused with the key) {
  auto db = "--cursor.db-path=" + dir.path("c.db");
  CAF_CHECK(has(refusal({db, "--test.http-address=9464"}),
                "invalid configuration: test.http-address: '9464': missing "
                "':port'"));
  CAF_CHECK(has(refusal({db, "--test.http-address=localhost:99999"}),
                "the port must be a number from 0 to 65535"));
  auto addr = "--test.http-address=127.0.0.1:0";
  for (auto t : {"0s", "500ms", "1500ms", "2h"})
    CAF_CHECK(has(refusal({db, addr, std::string{"--test.http-timeout="} + t}),
                  "test.http-timeout: must be whole seconds from 1s to 1h"));
  CAF_CHECK(has(refusal({db, addr, "--test.http-max-connections=0"}),
                "test.http-max-connections: must be from 1 to "));
  CAF_CHECK(has(refusal({db, addr, "--test.http-max-connections=100000000"}),
                "(a quarter of the descriptor limit "));
  // Limits without an endpoint would configure nothing.
  CAF_CHECK(has(refusal({db, "--test.http-timeout=5s"}),
                "test.http-timeout: only with test.http-address"));
  CAF_CHECK(has(refusal({db, ini("[test]\nhttp-max-connections=4\n")}),
                "test.http-max-connections: only with test.http-address"));
}

CAF_TEST_FIXTURE_SCOPE_END()
