#include "cep/event.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "cep/schema.h"
#include "cep/value.h"

namespace cep {
namespace {

TEST(ValueTest, CarriesEachTypeInSixteenBytes) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value::Int(-7).int_value(), -7);
  EXPECT_TRUE(Value::Bool(true).bool_value());
  EXPECT_EQ(Value::Float(2.5).float_value(), 2.5);
  EXPECT_EQ(Value::Decimal(12'500'000).AsDouble(), 12.5);
  EXPECT_EQ(Value::String("casino").string_value(), "casino");
  EXPECT_EQ(Value::Time(EventTime::FromMillis(5)).time_value().millis(), 5);
  EXPECT_EQ(Value::Dur(Duration::Minutes(1)).duration_value(), Duration::Minutes(1));
  EXPECT_EQ(TypeName(Value::Decimal(1).type()), "decimal");
}

TEST(ValueTest, SameAsComparesTypeAndPayload) {
  EXPECT_TRUE(Value::Int(1).SameAs(Value::Int(1)));
  EXPECT_FALSE(Value::Int(1).SameAs(Value::Decimal(1)));
  std::string a = "abc", b = "abc";
  EXPECT_TRUE(Value::String(a).SameAs(Value::String(b)));
  EXPECT_TRUE(Value().SameAs(Value::Null()));
}

TEST(SchemaTest, TransactionSchemaHasTheDslFields) {
  const Schema schema = Schema::Transaction();
  ASSERT_TRUE(schema.Find("amount"));
  EXPECT_EQ(schema.field(*schema.Find("amount")).type, Type::kDecimal);
  EXPECT_EQ(schema.field(*schema.Find("mcc")).type, Type::kInt);
  EXPECT_EQ(schema.field(*schema.ts_slot()).type, Type::kTime);
  EXPECT_TRUE(schema.id_slot());
  EXPECT_FALSE(schema.Find("attrs"));
}

TEST(SchemaTest, RejectsDuplicates) {
  Schema schema = Schema::Transaction();
  EXPECT_FALSE(schema.Add("amount", Type::kFloat).ok());
  auto slot = schema.Add("attrs.browser", Type::kString);
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(*schema.Find("attrs.browser"), *slot);
}

TEST(EventTest, OwnsItsStringsAcrossMovesAndBuilderReuse) {
  const Schema schema = Schema::Transaction();
  const SlotIndex merchant = *schema.Find("merchant");
  const SlotIndex amount = *schema.Find("amount");
  EventBuilder builder(schema.size());
  Event first = [&] {
    std::string temporary = "Lucky Casino";  // dies before the event is read
    return builder.SetTs(EventTime::FromMillis(100)).SetSeq(1).SetId("t1")
        .Set(merchant, Value::String(temporary)).Set(amount, Value::Decimal(912'000'000)).Build();
  }();
  Event second = builder.SetSeq(2).SetId("t2").Build();
  Event moved = std::move(first);

  EXPECT_EQ(moved.id(), "t1");
  EXPECT_EQ(moved.ts().millis(), 100);
  EXPECT_EQ(moved.field(merchant).string_value(), "Lucky Casino");
  EXPECT_EQ(moved.field(amount).decimal_micros(), 912'000'000);
  // The builder was reset: nothing of the first event leaks into the second.
  EXPECT_EQ(second.id(), "t2");
  EXPECT_TRUE(second.field(merchant).is_null());
  EXPECT_TRUE(second.field(amount).is_null());
  EXPECT_EQ(second.ts().millis(), 0);
  EXPECT_GT(moved.ByteSize(), sizeof(Event));
}

}  // namespace
}  // namespace cep
