#ifndef VIGIL_CFFMPEG_SHIM_H
#define VIGIL_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/dict.h>
#include <errno.h>

/* Macros Swift cannot import. */
static inline int vigil_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int vigil_averror_eof(void) { return AVERROR_EOF; }
static inline int vigil_averror_exit(void) { return AVERROR_EXIT; }
static inline int vigil_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t vigil_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational vigil_av_time_base_q(void) { return AV_TIME_BASE_Q; }

/* Quiet FFmpeg's own stderr logging; Vigil reports errors itself. */
static inline void vigil_av_log_quiet(void) { av_log_set_level(AV_LOG_QUIET); }

#endif
