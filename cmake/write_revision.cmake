# Writes OUT, a header defining KS_REVISION (the git commit, "-dirty" when tracked files
# differ from it, "unknown" outside a git checkout). Run at every build, not only at
# configure time, so that kafka_sentinel_build_info never names an older commit; the file
# is rewritten only when the revision changes, so a build without one recompiles nothing.
#   cmake -DSOURCE_DIR=... -DOUT=.../ks_revision.hpp -P write_revision.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE revision RESULT_VARIABLE status
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT status EQUAL 0 OR NOT revision)
  set(revision "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no
    WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE changes ERROR_QUIET)
  if(changes)
    string(APPEND revision "-dirty")
  endif()
endif()
set(content "// Generated at build time by cmake/write_revision.cmake.\n#pragma once\n#define KS_REVISION \"${revision}\"\n")
set(previous "")
if(EXISTS ${OUT})
  file(READ ${OUT} previous)
endif()
if(NOT previous STREQUAL content)
  file(WRITE ${OUT} "${content}")
endif()
