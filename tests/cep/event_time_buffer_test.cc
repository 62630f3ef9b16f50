#include "cep/event_time_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace cep {
namespace {

std::shared_ptr<const Event> At(int64_t ts, uint64_t seq) {
  EventBuilder builder(0);
  return std::make_shared<Event>(
      builder.SetTs(EventTime::FromMillis(ts)).SetSeq(seq).SetId("e" + std::to_string(seq)).Build());
}

std::string Ids(const std::vector<std::shared_ptr<const Event>>& events) {
  std::string out;
  for (const auto& e : events) out += std::string(out.empty() ? "" : " ") + std::string(e->id());
  return out;
}

TEST(EventTimeBufferTest, ReleasesOnlyWhatTheWatermarkCoversInclusive) {
  EventTimeBuffer buffer;
  buffer.Add(At(10, 0));
  buffer.Add(At(20, 1));
  std::vector<std::shared_ptr<const Event>> out;
  buffer.ReleaseUpTo(EventTime::FromMillis(9), out);
  EXPECT_TRUE(out.empty());
  buffer.ReleaseUpTo(EventTime::FromMillis(10), out);  // ts <= watermark (§7)
  EXPECT_EQ(Ids(out), "e0");
  EXPECT_EQ(buffer.earliest()->millis(), 20);
}

TEST(EventTimeBufferTest, OrdersByTsThenArrival) {
  EventTimeBuffer buffer;
  buffer.Add(At(30, 0));
  buffer.Add(At(10, 1));
  buffer.Add(At(30, 2));
  buffer.Add(At(20, 3));
  buffer.Add(At(10, 4));
  std::vector<std::shared_ptr<const Event>> out;
  buffer.ReleaseUpTo(EventTime::Max(), out);
  EXPECT_EQ(Ids(out), "e1 e4 e3 e0 e2");
  EXPECT_TRUE(buffer.empty());
}

TEST(EventTimeBufferTest, AnyArrivalOrderGivesTheSortedOrder) {
  std::mt19937 rng(11);
  std::vector<std::shared_ptr<const Event>> events;
  for (uint64_t i = 0; i < 500; ++i) events.push_back(At(static_cast<int64_t>(rng() % 50), i));
  auto sorted = events;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a->ts() < b->ts(); });
  std::shuffle(events.begin(), events.end(), rng);
  EventTimeBuffer buffer;
  for (auto& e : events) buffer.Add(e);
  std::vector<std::shared_ptr<const Event>> out;
  for (int64_t wm = 0; wm < 50; wm += 7) buffer.ReleaseUpTo(EventTime::FromMillis(wm), out);
  buffer.ReleaseUpTo(EventTime::Max(), out);
  EXPECT_EQ(Ids(out), Ids(sorted));
}

// Adds and releases interleaved, as a slot does: events arrive behind the
// watermark's future (never late), partly in order, partly not; every release
// hands out exactly the covered events in (ts, seq) order, and earliest() is
// always the smallest ts held.
TEST(EventTimeBufferTest, InterleavedAddsAndReleasesKeepTheOrder) {
  std::mt19937 rng(5);
  EventTimeBuffer buffer;
  std::vector<std::shared_ptr<const Event>> held;  // the model
  std::vector<std::shared_ptr<const Event>> out;
  int64_t watermark = 0;
  uint64_t seq = 0;
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < 10; ++i) {
      const int64_t ts = watermark + 1 + static_cast<int64_t>(rng() % 40);
      auto e = At(ts, seq++);
      held.push_back(e);
      buffer.Add(e);
    }
    std::stable_sort(held.begin(), held.end(),
                     [](const auto& a, const auto& b) { return a->ts() < b->ts(); });
    ASSERT_EQ(buffer.earliest(), held.front()->ts());
    watermark += static_cast<int64_t>(rng() % 30);
    out.clear();
    buffer.ReleaseUpTo(EventTime::FromMillis(watermark), out);
    std::vector<std::shared_ptr<const Event>> expected;
    while (!held.empty() && held.front()->ts().millis() <= watermark) {
      expected.push_back(held.front());
      held.erase(held.begin());
    }
    ASSERT_EQ(Ids(out), Ids(expected)) << "round " << round;
    ASSERT_EQ(buffer.size(), held.size());
  }
}

}  // namespace
}  // namespace cep
