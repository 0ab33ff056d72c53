// The one translation unit that defines main() for the unit suites, plus the
// fixtures shared by them.

#define CAF_TEST_NO_MAIN

#include <caf/test/unit_test_impl.hpp>

#include "test.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace test {

temp_dir::temp_dir() {
  auto base = std::filesystem::temp_directory_path() / "cursor_test.XXXXXX";
  auto buf = base.string();
  if (mkdtemp(buf.data()) == nullptr)
    CAF_FAIL("mkdtemp failed");
  path_ = buf;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  // Restore permissions a test may have removed, then delete everything.
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

std::map<std::string, std::string> read_rows(const std::string& db_path) {
  std::map<std::string, std::string> result;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr)
      != SQLITE_OK) {
    sqlite3_close(db);
    CAF_FAIL("cannot open " << db_path);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT peer_id, stream_id FROM cursors", -1,
                         &stmt, nullptr)
      != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    CAF_FAIL("cannot read " << db_path << ": " << msg);
  }
  while (sqlite3_step(stmt) == SQLITE_ROW)
    result.emplace(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                   reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

std::string row(const std::string& db_path, const std::string& peer) {
  auto rows = read_rows(db_path);
  auto i = rows.find(peer);
  return i == rows.end() ? std::string{"<absent>"} : i->second;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << content;
}

store_fixture::store_fixture() {
  opts.flush_interval = caf::timespan{0};
  opts.detached_writer = false;
  start();
}

store_fixture::~store_fixture() {
  // A live actor would keep the system's destructor waiting.
  if (store)
    caf::anon_send_exit(store, caf::exit_reason::kill);
  if (writer)
    caf::anon_send_exit(writer, caf::exit_reason::kill);
  drain();
}

void store_fixture::start(std::vector<cursor::stored_cursor> rows) {
  if (store) {
    caf::anon_send_exit(store, caf::exit_reason::kill);
    drain();
  }
  for (auto& row : rows)
    script->disk[row.peer] = row.stream_id;
  writer = spawn_mock_writer(sys, script);
  auto loaded = std::vector<cursor::stored_cursor>{};
  for (auto& kvp : script->disk)
    loaded.push_back(cursor::stored_cursor{kvp.first, kvp.second, 1});
  auto hdl = cursor::spawn_cursor_actor(sys, writer, loaded, opts);
  if (!hdl)
    CAF_FAIL("spawn_cursor_actor failed: " << cursor::render(hdl.error()));
  store = *hdl;
  drain();
}

caf::error store_fixture::set(const std::string& peer, const std::string& id) {
  auto r = ask<cursor::ok_atom>(cursor::set_atom_v, peer, id);
  if (!r.arrived())
    CAF_FAIL("set got no reply");
  return **r.slot ? caf::error{} : (*r.slot)->error();
}

caf::error store_fixture::force_set(const std::string& peer,
                                    const std::string& id) {
  auto r = ask<cursor::ok_atom>(cursor::set_atom_v, cursor::force_atom_v, peer,
                                id);
  if (!r.arrived())
    CAF_FAIL("set got no reply");
  return **r.slot ? caf::error{} : (*r.slot)->error();
}

cursor::cursor_lookup store_fixture::get(const std::string& peer) {
  return ask<cursor::cursor_lookup>(cursor::get_atom_v, peer).value();
}

std::vector<cursor::cursor_entry> store_fixture::list() {
  return ask<std::vector<cursor::cursor_entry>>(cursor::list_atom_v).value();
}

uint64_t store_fixture::dirty_count() {
  return ask<uint64_t>(cursor::dirty_atom_v).value();
}

cursor::cursor_stats store_fixture::stats() {
  return ask<cursor::cursor_stats>(cursor::stats_atom_v).value();
}

} // namespace test

int main(int argc, char** argv) {
  // Retries and failures are logged at warn/error on purpose; keep the test
  // output readable unless asked otherwise.
  if (std::getenv("CURSOR_TEST_LOG") == nullptr)
    spdlog::set_level(spdlog::level::off);
  return caf::test::main(argc, argv);
}
