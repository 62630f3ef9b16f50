#include "cep/expr/scratch_arena.h"

#include <algorithm>

namespace cep {

char* ScratchArena::Allocate(size_t size) {
  // Walk forward through blocks kept from earlier evaluations before growing, so a
  // warm arena serves the same workload without touching the heap.
  while (block_ < blocks_.size()) {
    Block& block = blocks_[block_];
    if (block.size - used_ >= size) {
      char* out = block.bytes.get() + used_;
      used_ += size;
      return out;
    }
    ++block_;
    used_ = 0;
  }
  const size_t last = blocks_.empty() ? 0 : blocks_.back().size;
  const size_t block_size = std::max({size, kMinBlockSize, 2 * last});
  blocks_.push_back({std::make_unique<char[]>(block_size), block_size});
  block_ = blocks_.size() - 1;
  used_ = size;
  return blocks_.back().bytes.get();
}

size_t ScratchArena::capacity() const {
  size_t total = 0;
  for (const Block& block : blocks_) total += block.size;
  return total;
}

}  // namespace cep
