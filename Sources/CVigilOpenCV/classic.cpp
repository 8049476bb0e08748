// Classic detectors: HOG people, Haar/LBP cascades (nested, with in-plane rotation retries), MOG2 motion.
#include "bridge.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/video/background_segm.hpp>

#include <algorithm>
#include <sys/stat.h>
#include <vector>

struct vcv_hog {
    cv::HOGDescriptor hog;
    cv::Mat scratch, resized;
    std::vector<vcv_box> boxes;
};

struct vcv_cascade {
    cv::CascadeClassifier classifier;
    vcv_cascade_params params{};
    cv::Mat scratch, equalized, rotated;
    std::vector<vcv_box> boxes;
};

struct vcv_motion {
    cv::Ptr<cv::BackgroundSubtractorMOG2> subtractor;
    vcv_motion_params params{};
    cv::Mat scratch, work, mask, cleaned;
    long long frames = 0;
    std::vector<vcv_box> boxes;
};

// MARK: HOG

extern "C" vcv_status vcv_hog_create(vcv_hog **out, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr, "no output");
        auto hog = std::make_unique<vcv_hog>();
        hog->hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
        *out = hog.release();
    });
}

extern "C" void vcv_hog_destroy(vcv_hog *hog) { delete hog; }

extern "C" vcv_status vcv_hog_detect(vcv_hog *hog, const vcv_image *image, double hit_threshold, double upscale,
                                     const vcv_box **boxes, int32_t *count, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(hog != nullptr && boxes != nullptr && count != nullptr, "no detector or output");
        vcv::require(upscale >= 0.25 && upscale <= 4, "upscale must be within 0.25...4");
        cv::Mat bgr = vcv::asBGR(image, hog->scratch);
        cv::Mat input = bgr;
        if (upscale != 1) {
            cv::resize(bgr, hog->resized, cv::Size(), upscale, upscale, cv::INTER_LINEAR);
            input = hog->resized;
        }
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        hog->hog.detectMultiScale(input, found, weights, hit_threshold, cv::Size(8, 8), cv::Size(8, 8), 1.05, 2.0);
        hog->boxes.clear();
        for (size_t i = 0; i < found.size(); ++i) {
            cv::Rect2d r(found[i].x / upscale, found[i].y / upscale, found[i].width / upscale, found[i].height / upscale);
            r &= cv::Rect2d(0, 0, bgr.cols, bgr.rows);
            if (r.area() <= 0) continue;
            float score = i < weights.size() ? static_cast<float>(weights[i]) : 1.0f;
            hog->boxes.push_back(vcv::makeBox(r, score, 0));
        }
        *boxes = hog->boxes.data();
        *count = static_cast<int32_t>(hog->boxes.size());
    });
}

// MARK: Cascades

extern "C" vcv_status vcv_cascade_create(const char *path, const vcv_cascade_params *params, vcv_cascade **out,
                                         vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr && params != nullptr && path != nullptr, "no path, parameters or output");
        *out = nullptr;
        vcv::require(params->scale_factor > 1.0 && params->scale_factor < 4.0, "scale_factor must be within (1, 4)");
        vcv::require(params->min_neighbors >= 0, "min_neighbors must be >= 0");
        struct stat st;
        if (::stat(path, &st) != 0) throw vcv::BridgeError(VCV_ERR_IO, std::string("cascade file not found: ") + path);
        auto cascade = std::make_unique<vcv_cascade>();
        if (!cascade->classifier.load(path) || cascade->classifier.empty())
            throw vcv::BridgeError(VCV_ERR_OPENCV, std::string("OpenCV could not load the cascade ") + path);
        cascade->params = *params;
        *out = cascade.release();
    });
}

extern "C" void vcv_cascade_destroy(vcv_cascade *cascade) { delete cascade; }

namespace {

std::vector<cv::Rect> runCascade(vcv_cascade *c, const cv::Mat &grey, std::vector<int> &neighbours) {
    std::vector<cv::Rect> found;
    neighbours.clear();
    const auto &p = c->params;
    cv::Size minSize = p.min_size > 0 ? cv::Size(p.min_size, p.min_size) : cv::Size();
    cv::Size maxSize = p.max_size > 0 ? cv::Size(p.max_size, p.max_size) : cv::Size();
    c->classifier.detectMultiScale(grey, found, neighbours, p.scale_factor, p.min_neighbors, 0, minSize, maxSize);
    return found;
}

/// The bounding box, in the original image, of a box found in an image rotated by `toRotated`.
cv::Rect2d unrotate(const cv::Rect2d &r, const cv::Mat &fromRotated, const cv::Size &bounds) {
    std::vector<cv::Point2f> corners{{float(r.x), float(r.y)}, {float(r.x + r.width), float(r.y)},
                                     {float(r.x), float(r.y + r.height)}, {float(r.x + r.width), float(r.y + r.height)}};
    std::vector<cv::Point2f> back;
    cv::transform(corners, back, fromRotated);
    float x0 = back[0].x, y0 = back[0].y, x1 = x0, y1 = y0;
    for (const auto &p : back) {
        x0 = std::min(x0, p.x); y0 = std::min(y0, p.y); x1 = std::max(x1, p.x); y1 = std::max(y1, p.y);
    }
    return cv::Rect2d(x0, y0, x1 - x0, y1 - y0) & cv::Rect2d(0, 0, bounds.width, bounds.height);
}

float neighbourScore(const std::vector<int> &n, size_t i) {
    // detectMultiScale reports how many raw windows were merged into a box; map it into (0, 1).
    float k = i < n.size() ? float(n[i]) : 1.0f;
    return k / (k + 1.0f);
}

} // namespace

extern "C" vcv_status vcv_cascade_detect(vcv_cascade *parent, vcv_cascade *const *children, int32_t child_count,
                                         const vcv_image *image, const double *rotations, int32_t rotation_count,
                                         const vcv_box **boxes, int32_t *count, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(parent != nullptr && boxes != nullptr && count != nullptr, "no cascade or output");
        vcv::require(child_count == 0 || children != nullptr, "no children");
        vcv::require(rotation_count == 0 || rotations != nullptr, "no rotations");
        cv::Mat grey = vcv::asGray(image, parent->scratch);
        cv::equalizeHist(grey, parent->equalized);
        const cv::Size size = parent->equalized.size();
        parent->boxes.clear();
        std::vector<int> neighbours;
        for (int32_t attempt = -1; attempt < rotation_count; ++attempt) {
            cv::Mat search = parent->equalized;
            cv::Mat back = (cv::Mat_<double>(2, 3) << 1, 0, 0, 0, 1, 0);
            if (attempt >= 0) {
                cv::Point2f centre(size.width / 2.0f, size.height / 2.0f);
                cv::Mat forward = cv::getRotationMatrix2D(centre, rotations[attempt], 1.0);
                cv::warpAffine(parent->equalized, parent->rotated, forward, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
                cv::invertAffineTransform(forward, back);
                search = parent->rotated;
            }
            std::vector<cv::Rect> found = runCascade(parent, search, neighbours);
            if (found.empty()) continue;
            for (size_t i = 0; i < found.size(); ++i) {
                parent->boxes.push_back(vcv::makeBox(unrotate(found[i], back, size), neighbourScore(neighbours, i), 0));
                cv::Rect roi = found[i] & cv::Rect(0, 0, search.cols, search.rows);
                if (roi.area() <= 0) continue;
                for (int32_t c = 0; c < child_count; ++c) {
                    vcv_cascade *child = children[c];
                    vcv::require(child != nullptr, "missing child cascade");
                    std::vector<int> childNeighbours;
                    std::vector<cv::Rect> inner = runCascade(child, search(roi), childNeighbours);
                    for (size_t j = 0; j < inner.size(); ++j) {
                        cv::Rect2d r(inner[j].x + roi.x, inner[j].y + roi.y, inner[j].width, inner[j].height);
                        parent->boxes.push_back(vcv::makeBox(unrotate(r, back, size), neighbourScore(childNeighbours, j), c + 1));
                    }
                }
            }
            break; // the first orientation that finds anything wins
        }
        *boxes = parent->boxes.data();
        *count = static_cast<int32_t>(parent->boxes.size());
    });
}

// MARK: Motion

extern "C" vcv_status vcv_motion_create(const vcv_motion_params *params, vcv_motion **out, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr && params != nullptr, "no parameters or output");
        vcv::require(params->history >= 1, "history must be >= 1");
        vcv::require(params->var_threshold > 0, "var_threshold must be > 0");
        auto motion = std::make_unique<vcv_motion>();
        motion->params = *params;
        motion->subtractor = cv::createBackgroundSubtractorMOG2(params->history, params->var_threshold, true);
        *out = motion.release();
    });
}

extern "C" void vcv_motion_destroy(vcv_motion *motion) { delete motion; }

extern "C" vcv_status vcv_motion_detect(vcv_motion *motion, const vcv_image *image, const vcv_box **boxes,
                                        int32_t *count, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(motion != nullptr && boxes != nullptr && count != nullptr, "no detector or output");
        cv::Mat input = vcv::wrap(image);
        if (image->format == VCV_FORMAT_RGB24) input = vcv::asBGR(image, motion->scratch);
        double scale = 1.0;
        const auto &p = motion->params;
        if (p.work_width > 0 && input.cols > p.work_width) {
            scale = double(p.work_width) / input.cols;
            cv::resize(input, motion->work, cv::Size(), scale, scale, cv::INTER_AREA);
        } else {
            motion->work = input;
        }
        motion->subtractor->apply(motion->work, motion->mask);
        motion->boxes.clear();
        if (motion->frames++ > 0) {
            // 255 = foreground, 127 = shadow (ignored); open removes speckle, dilate joins body parts.
            cv::threshold(motion->mask, motion->cleaned, 200, 255, cv::THRESH_BINARY);
            cv::morphologyEx(motion->cleaned, motion->cleaned, cv::MORPH_OPEN,
                             cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
            cv::dilate(motion->cleaned, motion->cleaned,
                       cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)), cv::Point(-1, -1), 2);
            std::vector<std::vector<cv::Point>> contours;
            cv::findContours(motion->cleaned, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
            std::vector<cv::Rect2d> rects;
            for (const auto &contour : contours) {
                cv::Rect r = cv::boundingRect(contour);
                cv::Rect2d full(r.x / scale, r.y / scale, r.width / scale, r.height / scale);
                if (full.area() >= p.min_area) rects.push_back(full);
            }
            // Merge boxes that overlap or lie within merge_distance of each other, until stable.
            bool merged = true;
            while (merged) {
                merged = false;
                for (size_t i = 0; i < rects.size() && !merged; ++i)
                    for (size_t j = i + 1; j < rects.size() && !merged; ++j) {
                        const cv::Rect2d &a = rects[i], &b = rects[j];
                        double gapX = std::max(a.x, b.x) - std::min(a.x + a.width, b.x + b.width);
                        double gapY = std::max(a.y, b.y) - std::min(a.y + a.height, b.y + b.height);
                        if (gapX <= p.merge_distance && gapY <= p.merge_distance) {
                            rects[i] = a | b;
                            rects.erase(rects.begin() + long(j));
                            merged = true;
                        }
                    }
            }
            cv::Rect2d bounds(0, 0, input.cols, input.rows);
            for (const auto &r : rects) motion->boxes.push_back(vcv::makeBox(r & bounds, 1.0f, 0));
        }
        *boxes = motion->boxes.data();
        *count = static_cast<int32_t>(motion->boxes.size());
    });
}
