#include "rules/regex/regex_set.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace rules {
namespace {

std::set<uint32_t> Matches(const RegexSet& set, std::string_view text) {
  auto scratch = set.NewScratch();
  std::set<uint32_t> hits;
  EXPECT_TRUE(set.Scan(text, *scratch, [&](uint32_t id) { hits.insert(id); }).ok());
  return hits;
}

TEST(RegexSetTest, OneScanAnswersEveryRegex) {
  auto set = RegexSet::Compile({{"casino|poker|bet(ting)?", "i"}, {"^ATM", ""}, {"x*", ""}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->size(), 3u);
  EXPECT_EQ(Matches(**set, "Lucky CASINO"), (std::set<uint32_t>{0, 2}));
  EXPECT_EQ(Matches(**set, "ATM withdrawal, betting shop"), (std::set<uint32_t>{0, 1, 2}));
  // Case matters without `i`; an empty-matching pattern matches everything.
  EXPECT_EQ(Matches(**set, "atm"), (std::set<uint32_t>{2}));
  EXPECT_EQ(Matches(**set, ""), (std::set<uint32_t>{2}));
}

TEST(RegexSetTest, FlagsMeanWhatTheLanguageSays) {
  auto set = RegexSet::Compile({{"a.b", ""}, {"a.b", "s"}, {"^b", "m"}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(Matches(**set, "a\nb"), (std::set<uint32_t>{1, 2}));
}

TEST(RegexSetTest, ReportsEveryBadRegexWithItsIndex) {
  RegexLimits limits;
  limits.max_pattern_length = 20;
  auto set = RegexSet::Compile({{"fine", ""},
                                {"(unclosed", ""},
                                {"(?:a|b){10000}c", ""},
                                {"x", "q"},
                                {std::string(21, 'a'), ""},
                                {"(?<=a+)b", ""}},
                               limits);
  ASSERT_FALSE(set.ok());
  const auto& errors = set.error();
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].index, 1u);
  EXPECT_NE(errors[0].message.find("invalid regex"), std::string::npos);
  EXPECT_EQ(errors[1].index, 2u);
  EXPECT_EQ(errors[1].message, "repetition {10000} exceeds the limit of 1000");
  EXPECT_EQ(errors[2].message, "unknown regex flag 'q' (expected i, s or m)");
  EXPECT_EQ(errors[3].message, "regex is 21 characters long; the limit is 20");
  EXPECT_EQ(errors[4].index, 5u);
}

TEST(RegexSetTest, BracesThatAreNotRepetitionsAreNotCapped) {
  auto set = RegexSet::Compile({{"\\{99999\\}", ""}, {"[{]5000", ""}, {"a{2,3}", ""}});
  ASSERT_TRUE(set.ok()) << set.error()[0].message;
  EXPECT_EQ(Matches(**set, "{99999}"), (std::set<uint32_t>{0}));
}

TEST(RegexSetTest, CompileTimeIsBudgeted) {
  // Within the repetition cap but slow to compile: many large alternation repeats.
  std::vector<RegexSpec> slow;
  for (int i = 0; i < 40; ++i) slow.push_back({"(?:a|b|c" + std::to_string(i) + "){1000}d", ""});
  RegexLimits limits;
  limits.compile_budget = cep::Duration::Millis(1);
  auto set = RegexSet::Compile(slow, limits);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error()[0].message.find("took longer than 1ms"), std::string::npos)
      << set.error()[0].message;
}

TEST(RegexSetTest, EmptySetMatchesNothing) {
  auto set = RegexSet::Compile({});
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(Matches(**set, "anything").empty());
}

}  // namespace
}  // namespace rules
