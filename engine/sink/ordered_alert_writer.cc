#include "engine/sink/ordered_alert_writer.h"

#include <algorithm>

#include "engine/sink/alert_id.h"

namespace engine {

void OrderedAlertWriter::AdvanceTo(cep::EventTime watermark) {
  if (pending_.empty()) return;
  auto final_end = std::partition(pending_.begin(), pending_.end(), [&](const cep::v1::Alert& a) {
    return cep::EventTime::FromMillis(a.ts_ms()) <= watermark;
  });
  std::sort(pending_.begin(), final_end, AlertOrderLess);
  for (auto it = pending_.begin(); it != final_end; ++it) {
    write_(*it);
    ++written_;
  }
  pending_.erase(pending_.begin(), final_end);
}

}  // namespace engine
