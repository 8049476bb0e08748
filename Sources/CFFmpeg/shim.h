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
#include <libavutil/opt.h>
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

/* Helpers for what Swift reaches awkwardly (fixed-size C arrays, function pointers). */
static inline AVStream *vigil_stream(const AVFormatContext *ctx, unsigned index) {
    return index < ctx->nb_streams ? ctx->streams[index] : NULL;
}

/* Converts a whole decoded frame into one packed destination plane (bgr24, rgb24, gray8). */
static inline int vigil_sws_scale_frame(struct SwsContext *sws, const AVFrame *src, uint8_t *dst, int dst_stride) {
    uint8_t *planes[4] = { dst, NULL, NULL, NULL };
    int strides[4] = { dst_stride, 0, 0, 0 };
    return sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, planes, strides);
}

/* A converter whose work is split over `threads` slice threads (swscale's frame API), as FFmpeg's
   scale filter sets it up; NULL when the conversion is not supported. */
static inline struct SwsContext *vigil_sws_create(int src_w, int src_h, int src_format, int dst_w, int dst_h,
                                                   int dst_format, int flags, int threads) {
    struct SwsContext *sws = sws_alloc_context();
    if (!sws) return NULL;
    av_opt_set_int(sws, "srcw", src_w, 0);
    av_opt_set_int(sws, "srch", src_h, 0);
    av_opt_set_int(sws, "src_format", src_format, 0);
    av_opt_set_int(sws, "dstw", dst_w, 0);
    av_opt_set_int(sws, "dsth", dst_h, 0);
    av_opt_set_int(sws, "dst_format", dst_format, 0);
    av_opt_set_int(sws, "sws_flags", flags, 0);
    av_opt_set_int(sws, "threads", threads, 0);
    if (sws_init_context(sws, NULL, NULL) < 0) {
        sws_freeContext(sws);
        return NULL;
    }
    return sws;
}

static void vigil_buffer_not_owned(void *opaque, uint8_t *data) { (void)opaque; (void)data; }

/* Converts `src` into one packed plane the caller owns, through the frame API (slice threads).
   `scratch` is a reusable frame; it refers to `dst` only during the call. */
static inline int vigil_sws_scale_frame_into(struct SwsContext *sws, AVFrame *scratch, const AVFrame *src,
                                             uint8_t *dst, int dst_stride, int dst_w, int dst_h, int dst_format) {
    av_frame_unref(scratch);
    scratch->buf[0] = av_buffer_create(dst, dst_stride * dst_h, vigil_buffer_not_owned, NULL, 0);
    if (!scratch->buf[0]) return AVERROR(ENOMEM);
    scratch->data[0] = dst;
    scratch->linesize[0] = dst_stride;
    scratch->width = dst_w;
    scratch->height = dst_h;
    scratch->format = dst_format;
    int ret = sws_scale_frame(sws, scratch, src);
    av_frame_unref(scratch);
    return ret;
}

/* Applies the frame's colour range and matrix to the converter, as FFmpeg's scale filter does. */
static inline void vigil_sws_set_source_colorspace(struct SwsContext *sws, int colorspace, int color_range) {
    int *inv_table, src_range, *table, dst_range, brightness, contrast, saturation;
    if (sws_getColorspaceDetails(sws, &inv_table, &src_range, &table, &dst_range,
                                 &brightness, &contrast, &saturation) < 0) return;
    const int *coefficients = sws_getCoefficients(colorspace);
    int full_range = color_range == AVCOL_RANGE_JPEG ? 1 : color_range == AVCOL_RANGE_MPEG ? 0 : src_range;
    sws_setColorspaceDetails(sws, coefficients, full_range, table, dst_range, brightness, contrast, saturation);
}

typedef int (*vigil_interrupt_fn)(void *opaque);

static inline void vigil_set_interrupt(AVFormatContext *ctx, vigil_interrupt_fn callback, void *opaque) {
    ctx->interrupt_callback.callback = callback;
    ctx->interrupt_callback.opaque = opaque;
}

/* A decoded frame's duration in its stream's time base (the field was renamed in FFmpeg 6). */
static inline int64_t vigil_frame_duration(const AVFrame *frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    return frame->duration;
#else
    return frame->pkt_duration;
#endif
}

static inline int vigil_thread_frame_slice(void) { return FF_THREAD_FRAME | FF_THREAD_SLICE; }
static inline int64_t vigil_av_time_base(void) { return AV_TIME_BASE; }

/* Encoding and muxing (overlay video, clips). */
static inline int vigil_avio_flag_write(void) { return AVIO_FLAG_WRITE; }
static inline int vigil_needs_global_header(const AVFormatContext *ctx) {
    return (ctx->oformat->flags & AVFMT_GLOBALHEADER) != 0;
}
static inline void vigil_set_global_header(AVCodecContext *ctx) { ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; }
static inline int vigil_format_has_file(const AVFormatContext *ctx) { return (ctx->oformat->flags & AVFMT_NOFILE) == 0; }
static inline int vigil_packet_is_key(const AVPacket *pkt) { return (pkt->flags & AV_PKT_FLAG_KEY) != 0; }
static inline AVRational vigil_rational(int num, int den) { AVRational r = { num, den }; return r; }
static inline int vigil_seek_flag_backward(void) { return AVSEEK_FLAG_BACKWARD; }

#endif
