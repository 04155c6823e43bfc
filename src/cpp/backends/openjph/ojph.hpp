// All OpenJPH headers, in an order that compiles with every release (0.9.0's
// ojph_codestream.h uses OJPH_EXPORT without including ojph_arch.h).
#pragma once
#include <openjph/ojph_arch.h>
#include <openjph/ojph_base.h>
#include <openjph/ojph_defs.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_version.h>
