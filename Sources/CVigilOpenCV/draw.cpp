// Drawing on frames and JPEG encoding: evidence snapshots and overlays.
#include "bridge.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {
cv::Scalar bgr(vcv_color c) { return cv::Scalar(c.b, c.g, c.r); }

cv::Mat writable(const vcv_image *image) {
    vcv::require(image != nullptr && image->format == VCV_FORMAT_BGR24, "drawing needs a BGR24 image");
    return vcv::wrap(image);
}
} // namespace

extern "C" vcv_status vcv_draw_rect(const vcv_image *image, float x, float y, float width, float height, vcv_color color,
                                    int32_t thickness, vcv_error *error) {
    return vcv::guarded(error, [&] {
        cv::Mat mat = writable(image);
        cv::rectangle(mat, cv::Point(cvRound(x), cvRound(y)), cv::Point(cvRound(x + width), cvRound(y + height)),
                      bgr(color), std::max(1, thickness), cv::LINE_8);
    });
}

extern "C" vcv_status vcv_draw_polyline(const vcv_image *image, const float *points, int32_t count, int32_t closed,
                                        vcv_color color, int32_t thickness, vcv_error *error) {
    return vcv::guarded(error, [&] {
        cv::Mat mat = writable(image);
        vcv::require(points != nullptr && count >= 2, "a polyline needs at least two points");
        std::vector<cv::Point> path;
        for (int32_t i = 0; i < count; ++i) path.emplace_back(cvRound(points[2 * i]), cvRound(points[2 * i + 1]));
        cv::polylines(mat, path, closed != 0, bgr(color), std::max(1, thickness), cv::LINE_AA);
    });
}

extern "C" vcv_status vcv_draw_text(const vcv_image *image, const char *text, float x, float y, double scale,
                                    vcv_color color, vcv_error *error) {
    return vcv::guarded(error, [&] {
        cv::Mat mat = writable(image);
        vcv::require(text != nullptr, "no text");
        int baseline = 0;
        const int face = cv::FONT_HERSHEY_SIMPLEX;
        const int thickness = std::max(1, cvRound(scale * 1.5));
        cv::Size size = cv::getTextSize(text, face, scale, thickness, &baseline);
        cv::Point origin(cvRound(x), cvRound(y));
        cv::Rect band(origin.x - 2, origin.y - size.height - 3, size.width + 4, size.height + baseline + 5);
        band &= cv::Rect(0, 0, mat.cols, mat.rows);
        if (band.area() > 0) {
            cv::Mat region = mat(band);
            region.convertTo(region, -1, 0.35, 0);   // darken behind the text, in place
        }
        cv::putText(mat, text, origin, face, scale, bgr(color), thickness, cv::LINE_AA);
    });
}

extern "C" vcv_status vcv_encode_jpeg(const vcv_image *image, const float *crop, int32_t quality, uint8_t **out,
                                      size_t *size, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr && size != nullptr, "no output");
        *out = nullptr;
        *size = 0;
        cv::Mat scratch;
        cv::Mat mat = vcv::asBGR(image, scratch);
        if (crop != nullptr) {
            cv::Rect r(cvFloor(crop[0]), cvFloor(crop[1]), cvCeil(crop[2]), cvCeil(crop[3]));
            r &= cv::Rect(0, 0, mat.cols, mat.rows);
            vcv::require(r.area() > 0, "the crop lies outside the image");
            mat = mat(r);
        }
        std::vector<uchar> bytes;
        std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, std::min(100, std::max(1, quality))};
        if (!cv::imencode(".jpg", mat, bytes, params)) throw vcv::BridgeError(VCV_ERR_OPENCV, "JPEG encoding failed");
        auto *buffer = static_cast<uint8_t *>(std::malloc(bytes.size()));
        if (buffer == nullptr) throw std::bad_alloc();
        std::memcpy(buffer, bytes.data(), bytes.size());
        *out = buffer;
        *size = bytes.size();
    });
}

extern "C" void vcv_buffer_free(uint8_t *buffer) { std::free(buffer); }
