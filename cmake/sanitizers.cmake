# KS_SANITIZE: builds every target of the project (libraries, the agent, the tests) with the
# given sanitizers, e.g. -DKS_SANITIZE=address,undefined or -DKS_SANITIZE=thread
# (`make sanitize`, scripts/sanitize.sh; docs/testing.md). Empty: no sanitizer.
set(KS_SANITIZE "" CACHE STRING "Sanitizers for -fsanitize= (address,undefined or thread); empty: none")

if(KS_SANITIZE)
  if(KS_SANITIZE MATCHES "thread" AND KS_SANITIZE MATCHES "address")
    message(FATAL_ERROR "KS_SANITIZE=${KS_SANITIZE}: thread and address cannot be combined; "
                        "build them in two build directories")
  endif()
  # -fno-sanitize-recover=all: UBSan's finding aborts the process (by default it only prints),
  # so a test that triggers undefined behaviour fails. Frame pointers give whole stacks in the
  # reports at no cost to correctness.
  add_compile_options(-fsanitize=${KS_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${KS_SANITIZE})
  # -O1 (after the build type's -O2, so it wins): what the sanitizers' authors recommend;
  # shorter builds and exact line numbers in reports, and still fast enough for the e2e tests.
  add_compile_options(-O1)
  if(KS_SANITIZE MATCHES "thread")
    # librdkafka's C11 threads made visible to TSan (why: the file's comment). Linked into
    # every target defined after this point, so into every executable.
    add_library(ks_tsan_c11_threads OBJECT ${CMAKE_SOURCE_DIR}/tests/sanitizers/c11_threads_for_tsan.cpp)
    link_libraries(ks_tsan_c11_threads)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's manual: sanitizers "tend to increase the rate of false positive warnings, most
    # notably those around -Wmaybe-uninitialized" (GCC 12 reports it inside libstdc++'s
    # std::regex, std::function moved in _NFA::_M_insert_*). The plain builds keep the check
    # with -Werror; only sanitized builds drop it.
    target_compile_options(ks_warnings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()
