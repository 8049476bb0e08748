// Shared helpers of the bridge: the exception funnel and image wrapping. Internal to the C++ target.
#pragma once

#include "vigil_opencv.h"

#include <opencv2/core.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

namespace vcv {

/// An error the bridge raises itself, with the status it maps to.
struct BridgeError : std::runtime_error {
    vcv_status status;
    BridgeError(vcv_status s, const std::string &message) : std::runtime_error(message), status(s) {}
};

inline void setError(vcv_error *error, const std::string &message) {
    if (error == nullptr) return;
    std::snprintf(error->message, sizeof(error->message), "%s", message.c_str());
}

/// Runs `body`, turning every C++ exception into a status and a message: nothing escapes into C.
template <class Body>
vcv_status guarded(vcv_error *error, Body &&body) noexcept {
    try {
        body();
        if (error != nullptr) error->message[0] = 0;
        return VCV_OK;
    } catch (const BridgeError &e) {
        setError(error, e.what());
        return e.status;
    } catch (const cv::Exception &e) {
        std::string text = e.err.empty() ? std::string(e.what()) : e.err;
        if (!e.func.empty()) text += " (in " + e.func + ")";
        setError(error, "OpenCV: " + text);
        return VCV_ERR_OPENCV;
    } catch (const std::bad_alloc &) {
        setError(error, "out of memory");
        return VCV_ERR_INTERNAL;
    } catch (const std::exception &e) {
        setError(error, e.what());
        return VCV_ERR_INTERNAL;
    } catch (...) {
        setError(error, "unknown C++ exception");
        return VCV_ERR_INTERNAL;
    }
}

inline void require(bool condition, const std::string &message) {
    if (!condition) throw BridgeError(VCV_ERR_INVALID_ARGUMENT, message);
}

/// A Mat header over borrowed pixels (no copy).
inline cv::Mat wrap(const vcv_image *image) {
    require(image != nullptr && image->data != nullptr, "no image");
    require(image->width > 0 && image->height > 0, "empty image");
    int channels = image->format == VCV_FORMAT_GRAY8 ? 1 : 3;
    require(image->format >= VCV_FORMAT_BGR24 && image->format <= VCV_FORMAT_GRAY8, "unknown pixel format");
    require(image->stride >= image->width * channels, "stride smaller than a row");
    return cv::Mat(image->height, image->width, channels == 1 ? CV_8UC1 : CV_8UC3,
                   const_cast<uint8_t *>(image->data), static_cast<size_t>(image->stride));
}

/// The image as BGR (a header when it already is, else a converted copy in `scratch`).
cv::Mat asBGR(const vcv_image *image, cv::Mat &scratch);
/// The image as 8-bit grey.
cv::Mat asGray(const vcv_image *image, cv::Mat &scratch);

inline vcv_box makeBox(const cv::Rect2d &r, float score, int classID) {
    return vcv_box{static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.width),
                   static_cast<float>(r.height), score, classID};
}

} // namespace vcv
