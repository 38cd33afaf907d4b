// leaker_cxx - the C++ case of heapprof.bats: a cache that only grows, in a
// member function with a distinctive name (operator new must be skipped to
// find it); a steady allocator beside it.
//   leaker_cxx SECONDS MB_PER_S
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace shop {
class SessionCache {
  public:
    __attribute__((noinline)) void remember_forever_distinctive(size_t blocks)
    {
        for (size_t i = 0; i < blocks; i++) {
            std::unique_ptr<char[]> p(new char[64 * 1024]);
            std::memset(p.get(), 0x5a, 64 * 1024);
            kept_.push_back(std::move(p));
        }
    }
    size_t size() const { return kept_.size(); }

  private:
    std::vector<std::unique_ptr<char[]>> kept_;
};
} // namespace shop

__attribute__((noinline)) static void steady_churn(size_t blocks)
{
    std::vector<std::unique_ptr<char[]>> v;
    for (size_t i = 0; i < blocks; i++)
        v.emplace_back(new char[64 * 1024]);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: leaker_cxx SECONDS MB_PER_S\n");
        return 2;
    }
    double seconds = std::atof(argv[1]), mb = std::atof(argv[2]);
    size_t per_tick = static_cast<size_t>(mb * 16 / 20);
    if (per_tick == 0)
        per_tick = 1;
    shop::SessionCache cache;
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
           seconds) {
        cache.remember_forever_distinctive(per_tick);
        steady_churn(per_tick);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("leaker_cxx: kept %zu blocks\n", cache.size());
    return 0;
}
