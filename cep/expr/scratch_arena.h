#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace cep {

// Bump-allocated bytes for the strings an expression produces while it runs
// (`lower(merchant)`), so evaluation never allocates once warm: Reset() keeps the
// blocks and reuses them. Everything handed out stays valid until the next Reset()
// (EvalContext resets it at the start of each evaluation).
//
// Threading: one owner; never shared.
class ScratchArena {
 public:
  ScratchArena() = default;
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;
  ScratchArena(ScratchArena&&) noexcept = default;
  ScratchArena& operator=(ScratchArena&&) noexcept = default;

  // `size` writable bytes, valid until Reset(). Never fails (allocation failure
  // aborts like any other operator new).
  char* Allocate(size_t size);
  // Forgets every allocation but keeps the memory for reuse.
  void Reset() {
    block_ = 0;
    used_ = 0;
  }
  // Bytes reserved across all blocks, for tests and accounting.
  size_t capacity() const;

 private:
  struct Block {
    std::unique_ptr<char[]> bytes;
    size_t size = 0;
  };
  static constexpr size_t kMinBlockSize = 4096;

  std::vector<Block> blocks_;
  size_t block_ = 0;  // index of the block being filled
  size_t used_ = 0;   // bytes used in blocks_[block_]
};

}  // namespace cep
