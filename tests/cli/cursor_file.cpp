#define CAF_SUITE cursor_file

#include "cli/cursor_file.hpp"

#include <sstream>

#include <caf/test/unit_test.hpp>

#include "cli/output.hpp"
#include "cursor_actor/cursor_entry.hpp"

using namespace cursor::cli;

namespace {

file_contents json_lines(const std::string& text) {
  std::istringstream in{text};
  return read_json_lines(in);
}

file_contents csv(const std::string& text) {
  std::istringstream in{text};
  return read_csv(in);
}

// The entries as (peer, stream_id, line) triples, for comparing.
std::vector<std::string> flat(const file_contents& x) {
  std::vector<std::string> result;
  for (auto& e : x.entries)
    result.push_back(e.peer + "|" + e.stream_id + "|" + std::to_string(e.line));
  return result;
}

using strings = std::vector<std::string>;

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Awkward but valid peer IDs: commas, quotes, blanks, UTF-8, a dash.
const std::vector<cursor::cursor_entry> awkward{
    {"uk.node.leeds-2", "1700000000000-5", 1714557600123, true},
    {"we\"ird,peer", "5-1", 1, false},
    {" blank around ", "6-0", 2, true},
    {"\xC3\xBCn\xC3\xAF.node", "7-7", 3, true},
    {"-dash", "0", 0, false},
};

} // namespace

CAF_TEST(what export writes as JSON lines reads back entry for entry) {
  std::ostringstream out;
  write_json_lines(out, awkward);
  auto x = json_lines(out.str());
  CAF_REQUIRE_EQUAL(x.error, "");
  CAF_REQUIRE_EQUAL(x.entries.size(), awkward.size());
  for (size_t i = 0; i < awkward.size(); ++i) {
    CAF_CHECK_EQUAL(x.entries[i].peer, awkward[i].peer);
    CAF_CHECK_EQUAL(x.entries[i].stream_id, awkward[i].stream_id);
    CAF_CHECK_EQUAL(x.entries[i].line, i + 1);
  }
}

CAF_TEST(what export writes as CSV reads back entry for entry) {
  std::ostringstream out;
  write_csv(out, awkward);
  auto x = csv(out.str());
  CAF_REQUIRE_EQUAL(x.error, "");
  CAF_REQUIRE_EQUAL(x.entries.size(), awkward.size());
  for (size_t i = 0; i < awkward.size(); ++i) {
    CAF_CHECK_EQUAL(x.entries[i].peer, awkward[i].peer);
    CAF_CHECK_EQUAL(x.entries[i].stream_id, awkward[i].stream_id);
    CAF_CHECK_EQUAL(x.entries[i].line, i + 2);
  }
}

CAF_TEST(csv fields are quoted only when needed) {
  CAF_CHECK_EQUAL(csv_field("plain.peer"), "plain.peer");
  CAF_CHECK_EQUAL(csv_field("a,b"), "\"a,b\"");
  CAF_CHECK_EQUAL(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  CAF_CHECK_EQUAL(csv_field(" x"), "\" x\"");
  CAF_CHECK_EQUAL(csv_field(""), "");
}

CAF_TEST(json lines skip blank lines and ignore updated_at and durable) {
  auto x = json_lines("\n{\"peer\":\"a\",\"stream_id\":\"1-0\"}\n  \n"
                      "{\"stream_id\":\"2-0\",\"durable\":false,"
                      "\"updated_at\":5,\"peer\":\"b\"}");
  CAF_CHECK_EQUAL(x.error, "");
  CAF_CHECK_EQUAL(flat(x), (strings{"a|1-0|2", "b|2-0|4"}));
}

CAF_TEST(the first bad json line is named and nothing is returned) {
  auto bad = [](const std::string& text) {
    auto x = json_lines(text);
    CAF_CHECK(x.entries.empty());
    return x.error;
  };
  const std::string ok = "{\"peer\":\"a\",\"stream_id\":\"1-0\"}\n";
  CAF_CHECK_EQUAL(bad(ok + "{\"peer\":\"b\"\n" + ok), "line 2: not valid JSON");
  CAF_CHECK_EQUAL(bad(ok + "[1,2]\n"), "line 2: not a JSON object");
  CAF_CHECK_EQUAL(bad("{\"peer\":\"b\"}\n"), "line 1: no 'stream_id'");
  CAF_CHECK_EQUAL(bad("{\"stream_id\":\"1-0\"}\n"), "line 1: no 'peer'");
  CAF_CHECK_EQUAL(bad("{\"peer\":\"b\",\"stream-id\":\"1-0\"}\n"),
                  "line 1: unknown field 'stream-id' (expected peer, "
                  "stream_id, updated_at, durable)");
  CAF_CHECK_EQUAL(bad("{\"peer\":7,\"stream_id\":\"1-0\"}\n"),
                  "line 1: 'peer' is not a string");
  CAF_CHECK_EQUAL(bad("{\"peer\":\"b\",\"stream_id\":10}\n"),
                  "line 1: 'stream_id' is not a string");
  CAF_CHECK_EQUAL(
      bad("{\"peer\":\"b\",\"stream_id\":\"1-0\",\"durable\":\"yes\"}\n"),
      "line 1: 'durable' is not true or false");
  // Invalid UTF-8 inside a JSON string is not JSON.
  CAF_CHECK_EQUAL(bad("{\"peer\":\"\xff\",\"stream_id\":\"1-0\"}\n"),
                  "line 1: not valid JSON");
  CAF_CHECK_EQUAL(bad(std::string(max_line_size + 1, ' ') + "\n"),
                  "line 1: longer than 65536 bytes");
}

// Issue 17: the last of two equal keys used to win silently.
CAF_TEST(a json line that gives a field twice is refused naming the field) {
  auto bad = [](const std::string& text) {
    auto x = json_lines(text);
    CAF_CHECK(x.entries.empty());
    return x.error;
  };
  const std::string ok = "{\"peer\":\"a\",\"stream_id\":\"1-0\"}\n";
  CAF_CHECK_EQUAL(
      bad(ok
          + "{\"peer\":\"b\",\"stream_id\":\"9-0\",\"stream_id\":\"5-0\"}\n"),
      "line 2: the field 'stream_id' is given twice");
  CAF_CHECK_EQUAL(
      bad("{\"peer\":\"b\",\"peer\":\"c\",\"stream_id\":\"1-0\"}\n"),
      "line 1: the field 'peer' is given twice");
  CAF_CHECK_EQUAL(bad("{\"peer\":\"b\",\"stream_id\":\"1-0\",\"durable\":true,"
                      "\"durable\":false}\n"),
                  "line 1: the field 'durable' is given twice");
}

CAF_TEST(entries are checked as the store checks them) {
  auto error = [](const std::string& peer, const std::string& id) {
    return json_lines("{\"peer\":\"ok\",\"stream_id\":\"1-0\"}\n"
                      "{\"peer\":\""
                      + peer + "\",\"stream_id\":\"" + id + "\"}\n")
        .error;
  };
  CAF_CHECK(starts_with(error("b", "01-0"), "line 2: invalid_stream_id"));
  CAF_CHECK(error("b", "banana").find("(peer 'b')") != std::string::npos);
  CAF_CHECK(starts_with(error("", "1-0"), "line 2: invalid_peer_id"));
  CAF_CHECK(starts_with(error("tab\\there", "1-0"), "line 2: invalid_peer_id"));
  CAF_CHECK(starts_with(error(std::string(256, 'p'), "1-0"),
                        "line 2: invalid_peer_id"));
  CAF_CHECK_EQUAL(error("ok", "2-0"),
                  "line 2: peer 'ok' appears again (first on line 1)");
  CAF_CHECK_EQUAL(error("b", "0-0"), "");
}

CAF_TEST(csv takes its columns from the header in any order) {
  auto x = csv("\xEF\xBB\xBFstream_id,durable,peer\r\n1-0,true,a\r\n\r\n"
               "\"2-0\",false,\"b,c\"\r\n");
  CAF_CHECK_EQUAL(x.error, "");
  CAF_CHECK_EQUAL(flat(x), (strings{"a|1-0|2", "b,c|2-0|4"}));
}

CAF_TEST(the first bad csv line is named and nothing is returned) {
  auto bad = [](const std::string& text) {
    auto x = csv(text);
    CAF_CHECK(x.entries.empty());
    return x.error;
  };
  const std::string header = "peer,stream_id\n";
  CAF_CHECK_EQUAL(bad(""), "no header line");
  CAF_CHECK_EQUAL(bad("peer,id\n"),
                  "line 1: unknown column 'id' in the header (expected "
                  "peer, stream_id, updated_at, durable)");
  CAF_CHECK_EQUAL(bad("peer,durable\n"),
                  "line 1: the header needs the columns peer and stream_id");
  CAF_CHECK_EQUAL(bad("peer,peer,stream_id\n"),
                  "line 1: column 'peer' appears twice in the header");
  CAF_CHECK_EQUAL(bad(header + "a,1-0\nb\n"),
                  "line 3: 1 fields, the header has 2");
  CAF_CHECK_EQUAL(bad(header + "a,1-0,x\n"),
                  "line 2: 3 fields, the header has 2");
  CAF_CHECK_EQUAL(bad(header + "\"a,1-0\n"),
                  "line 2: unterminated quoted field");
  CAF_CHECK_EQUAL(bad(header + "\"a\"x,1-0\n"),
                  "line 2: text after a closing quote");
  CAF_CHECK_EQUAL(bad(header + "a\"b,1-0\n"),
                  "line 2: a quote inside an unquoted field");
  CAF_CHECK_EQUAL(bad(header + "a,1-0\na,2-0\n"),
                  "line 3: peer 'a' appears again (first on line 2)");
  CAF_CHECK(starts_with(bad(header + "a,1-00\n"), "line 2: invalid_stream_id"));
}
