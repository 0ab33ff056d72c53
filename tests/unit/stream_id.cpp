#define CAF_SUITE stream_id

#include "cursor_actor/stream_id.hpp"

#include "test.hpp"

using cursor::stream_id;

namespace {

bool refused(const char* text) {
  auto x = stream_id::parse(text);
  return !x && cursor::is(x.error(), cursor::errc::invalid_stream_id);
}

} // namespace

CAF_TEST(zero and ms - seq parse to their numbers) {
  CAF_CHECK(stream_id::parse("0") == (stream_id{0, 0}));
  CAF_CHECK(stream_id::parse("0-0") == (stream_id{0, 0}));
  CAF_CHECK(stream_id::parse("1234567890123-0")
            == (stream_id{1234567890123, 0}));
  CAF_CHECK(stream_id::parse("5-17") == (stream_id{5, 17}));
  CAF_CHECK(stream_id::parse("18446744073709551615-18446744073709551615")
            == (stream_id{UINT64_MAX, UINT64_MAX}));
}

CAF_TEST(the canonical text round trips and zero renders as 0) {
  for (auto text :
       {"0", "1-0", "10-0", "1234567890123-42", "18446744073709551615-0"})
    CAF_CHECK_EQUAL(to_string(*stream_id::parse(text)), text);
  CAF_CHECK_EQUAL(to_string(*stream_id::parse("0-0")), "0");
}

CAF_TEST(ids compare numerically not lexically) {
  CAF_CHECK(*stream_id::parse("9-0") < *stream_id::parse("10-0"));
  CAF_CHECK(*stream_id::parse("10-9") < *stream_id::parse("10-10"));
  CAF_CHECK(*stream_id::parse("0") < *stream_id::parse("0-1"));
  CAF_CHECK(!(*stream_id::parse("10-0") < *stream_id::parse("9-99")));
}

CAF_TEST(malformed ids are refused with invalid_stream_id) {
  for (auto text : {"",
                    "-",
                    "1",
                    "1-",
                    "-1",
                    "1--1",
                    "1-1-1",
                    "01-0",
                    "1-00",
                    "00",
                    "+1-0",
                    "1-+0",
                    " 1-0",
                    "1-0 ",
                    "1 -0",
                    "1-0\n",
                    "$",
                    ">",
                    "*",
                    "+",
                    "a-0",
                    "0x1-0",
                    "1.5-0",
                    "1-0\t",
                    "18446744073709551616-0",
                    "0-18446744073709551616",
                    "99999999999999999999-0",
                    "-0",
                    "1e3-0",
                    "１-0"})
    CHECK_MSG(refused(text), "accepted '" << text << "'");
}

CAF_TEST(a refusal names the reason and the input) {
  auto x = stream_id::parse("01-0");
  CAF_REQUIRE(!x);
  auto text = cursor::render(x.error());
  CAF_CHECK(text.find("leading zero") != std::string::npos);
  CAF_CHECK(text.find("01-0") != std::string::npos);
  auto y = stream_id::parse("18446744073709551616-0");
  CAF_REQUIRE(!y);
  CAF_CHECK(cursor::render(y.error()).find("64 bits") != std::string::npos);
}

namespace {

std::string reason_for(const char* text) {
  auto x = stream_id::parse(text);
  return x ? std::string{"(accepted)"} : cursor::render(x.error());
}

} // namespace

CAF_TEST(each refusal names the real fault) {
  struct {
    const char* input;
    const char* reason;
  } cases[] = {
      {"1-0 ", "trailing space"},
      {"1-0\t", "trailing whitespace"},
      {"1-0\n", "trailing whitespace"},
      {" 1-0", "leading space"},
      {"\t1-0", "leading whitespace"},
      {"", "empty stream ID"},
      {"-1", "empty ms part"},
      {"1-", "empty seq part"},
      {"a-0", "'a' is not a decimal digit in the ms part"},
      {"1-x", "'x' is not a decimal digit in the seq part"},
      {"1 -0", "' ' is not a decimal digit in the ms part"},
      {"+1-0", "'+' is not a decimal digit in the ms part"},
      {"18446744073709551616-0", "the ms part exceeds 64 bits"},
      {"0-18446744073709551616", "the seq part exceeds 64 bits"},
      {"01-0", "leading zero in the ms part"},
      {"1-00", "leading zero in the seq part"},
      {"1-1-1", "more than one '-'"},
      {"12", "missing '-'"},
  };
  for (auto& c : cases) {
    auto text = reason_for(c.input);
    CHECK_MSG(text.find(c.reason) != std::string::npos,
              "input '" << c.input << "': expected '" << c.reason << "', got '"
                        << text << "'");
  }
  // A trailing space is never reported as a leading zero (the old message).
  CAF_CHECK(reason_for("1-0 ").find("leading zero") == std::string::npos);
  CAF_CHECK(reason_for("10-0 ").find("leading zero") == std::string::npos);
}

CAF_TEST(oversized input is refused without echoing all of it) {
  std::string huge(100000, '1');
  auto x = stream_id::parse(huge);
  CAF_REQUIRE(!x);
  CAF_CHECK(cursor::render(x.error()).size() < 200);
}
