// MediaPipe's face models through OpenCV DNN: BlazeFace short-range (whole-image detector) and FaceMesh
// (468 landmarks in a rotated square region), plus solvePnP for head pose. Both models read their input
// through one affine warp from a square region of the image, as MediaPipe's ImageToTensorCalculator does.
#include "bridge.hpp"

#include <opencv2/calib3d.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

constexpr int kDetectorSize = 128;
constexpr int kLandmarkSize = 192;
constexpr int kAnchorCount = 896;

bool isFile(const char *path) {
    struct stat st;
    return path != nullptr && ::stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

cv::dnn::Net loadONNX(const char *path, const char *what) {
    if (!isFile(path))
        throw vcv::BridgeError(VCV_ERR_IO, std::string(what) + " model file not found: " + (path ? path : "(none)"));
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    if (net.empty()) throw vcv::BridgeError(VCV_ERR_OPENCV, std::string("OpenCV could not build a network from ") + path);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
}

std::string shapeText(const cv::Mat &m) {
    std::string text;
    for (int i = 0; i < m.dims; ++i) text += (i ? "x" : "") + std::to_string(m.size[i]);
    return text;
}

/// The 2x3 map from output pixels (0...size) to image pixels of a square region turned by `rotation`:
/// image = centre + R(rotation) * (output * side / size - side / 2).
cv::Matx23d regionToImage(const vcv_face_region &r, int size) {
    const double c = std::cos(r.rotation), s = std::sin(r.rotation), side = r.size, k = side / size;
    return cv::Matx23d(c * k, -s * k, r.center_x - (c - s) * side / 2,
                       s * k, c * k, r.center_y - (s + c) * side / 2);
}

/// The region's pixels as a 1x3xSxS RGB blob: bilinear warp of the BGR image, then (pixel - mean) * scale in
/// one pass into planar RGB. Same values as cv::dnn::blobFromImage(crop, scale, mean, swapRB), which makes
/// four passes and allocates on each call: measured 0.6 ms of a 192x192 frame's critical path against
/// 0.05 ms here.
void regionBlob(const cv::Mat &bgr, const vcv_face_region &region, int size, int border, float scale, float mean,
                cv::Mat &crop, cv::Mat &blob) {
    cv::Matx23d m = regionToImage(region, size);
    cv::warpAffine(bgr, crop, cv::Mat(m), cv::Size(size, size), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, border,
                   cv::Scalar(0, 0, 0));
    int shape[] = {1, 3, size, size};
    blob.create(4, shape, CV_32F);
    const size_t plane = size_t(size) * size;
    float *r = blob.ptr<float>(), *g = r + plane, *b = g + plane;
    for (int y = 0; y < size; ++y) {
        const uint8_t *p = crop.ptr<uint8_t>(y);
        const size_t row = size_t(y) * size;
        for (int x = 0; x < size; ++x) {
            b[row + x] = (float(p[3 * x]) - mean) * scale;
            g[row + x] = (float(p[3 * x + 1]) - mean) * scale;
            r[row + x] = (float(p[3 * x + 2]) - mean) * scale;
        }
    }
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

/// Outputs of `net` for a zero input of `size`, by name, to check their shapes. A network that cannot run on
/// that input is the wrong model: `what` names the model expected.
std::vector<cv::Mat> probe(cv::dnn::Net &net, const std::vector<std::string> &names, int size, const std::string &what) {
    int shape[] = {1, 3, size, size};
    std::vector<cv::Mat> outs;
    try {
        net.setInput(cv::Mat(4, shape, CV_32F, cv::Scalar(0)));
        net.forward(outs, names);
    } catch (const cv::Exception &e) {
        throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH, "not a " + what + " model: OpenCV cannot run it on a 1x3x" +
                               std::to_string(size) + "x" + std::to_string(size) + " input (" + e.func + ")");
    }
    return outs;
}

} // namespace

// MARK: BlazeFace

struct vcv_face_detector {
    cv::dnn::Net net;
    std::vector<std::string> outputNames; // regressors (896x16), scores (896x1)
    std::vector<cv::Point2f> anchors;
    cv::Mat scratch, crop, blob;
    std::vector<cv::Mat> outputs;
    std::vector<vcv_face_detection> faces;

    /// SSD anchors of the short-range model: strides 8 (16x16 cells, 2 anchors) and 16 (8x8 cells, 6 anchors,
    /// three layers merged), centred in their cells, unit size.
    void makeAnchors() {
        anchors.clear();
        for (auto [grid, perCell] : {std::pair{16, 2}, std::pair{8, 6}})
            for (int y = 0; y < grid; ++y)
                for (int x = 0; x < grid; ++x)
                    for (int a = 0; a < perCell; ++a) anchors.emplace_back((x + 0.5f) / grid, (y + 0.5f) / grid);
    }

    void detect(const vcv_image *image, float minScore, float nmsThreshold) {
        cv::Mat bgr = vcv::asBGR(image, scratch);
        // Letterbox: the square of the longer side around the image centre, black outside the image.
        const double side = std::max(bgr.cols, bgr.rows);
        vcv_face_region whole{float(bgr.cols / 2.0), float(bgr.rows / 2.0), float(side), 0};
        regionBlob(bgr, whole, kDetectorSize, cv::BORDER_CONSTANT, 1 / 127.5f, 127.5f, crop, blob);
        net.setInput(blob);
        net.forward(outputs, outputNames);
        const float *boxes = outputs[0].ptr<float>(), *scores = outputs[1].ptr<float>();

        struct Candidate { float score; int anchor; double x0, y0, x1, y1; double kp[12]; };
        std::vector<Candidate> found;
        for (int i = 0; i < kAnchorCount; ++i) {
            float score = sigmoid(std::clamp(scores[i], -100.0f, 100.0f));
            if (score < minScore) continue;
            const float *r = boxes + size_t(i) * 16;
            const cv::Point2f a = anchors[size_t(i)];
            // Tensor-relative [0, 1] -> image pixels through the letterbox square.
            auto px = [&](double v, double centre) { return (v - 0.5) * side + centre; };
            double cx = r[0] / kDetectorSize + a.x, cy = r[1] / kDetectorSize + a.y;
            double w = r[2] / kDetectorSize, h = r[3] / kDetectorSize;
            Candidate c{score, i, px(cx - w / 2, whole.center_x), px(cy - h / 2, whole.center_y),
                        px(cx + w / 2, whole.center_x), px(cy + h / 2, whole.center_y), {}};
            for (int k = 0; k < 6; ++k) {
                c.kp[2 * k] = px(r[4 + 2 * k] / kDetectorSize + a.x, whole.center_x);
                c.kp[2 * k + 1] = px(r[5 + 2 * k] / kDetectorSize + a.y, whole.center_y);
            }
            found.push_back(c);
        }
        // Best first; equal scores in anchor order.
        std::sort(found.begin(), found.end(), [](const Candidate &a, const Candidate &b) {
            return a.score != b.score ? a.score > b.score : a.anchor < b.anchor;
        });

        // Weighted NMS (MediaPipe's NonMaxSuppressionCalculator, WEIGHTED): the best remaining candidate and
        // every remaining one overlapping it by IoU > threshold merge into one face, box and keypoints averaged
        // by score, the best score kept.
        auto area = [](const Candidate &c) { return std::max(0.0, c.x1 - c.x0) * std::max(0.0, c.y1 - c.y0); };
        faces.clear();
        std::vector<bool> used(found.size(), false);
        for (size_t i = 0; i < found.size(); ++i) {
            if (used[i]) continue;
            const Candidate &best = found[i];
            double total = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0, kp[12] = {};
            for (size_t j = i; j < found.size(); ++j) {
                if (used[j]) continue;
                const Candidate &c = found[j];
                double iw = std::min(best.x1, c.x1) - std::max(best.x0, c.x0);
                double ih = std::min(best.y1, c.y1) - std::max(best.y0, c.y0);
                double inter = std::max(0.0, iw) * std::max(0.0, ih);
                double uni = area(best) + area(c) - inter;
                if (j != i && !(uni > 0 && inter / uni > nmsThreshold)) continue;
                used[j] = true;
                total += c.score;
                x0 += c.x0 * c.score; y0 += c.y0 * c.score; x1 += c.x1 * c.score; y1 += c.y1 * c.score;
                for (int k = 0; k < 12; ++k) kp[k] += c.kp[k] * c.score;
            }
            vcv_face_detection face{};
            face.x = float(x0 / total);
            face.y = float(y0 / total);
            face.width = float((x1 - x0) / total);
            face.height = float((y1 - y0) / total);
            face.score = best.score;
            for (int k = 0; k < 12; ++k) face.keypoints[k] = float(kp[k] / total);
            faces.push_back(face);
        }
    }
};

extern "C" vcv_status vcv_face_detector_create(const char *model_path, vcv_face_detector **out, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr, "no output");
        *out = nullptr;
        auto d = std::make_unique<vcv_face_detector>();
        d->net = loadONNX(model_path, "face detector");
        d->makeAnchors();
        // Tell the two outputs apart by shape (1x896x16 boxes and keypoints, 1x896x1 scores), not by name.
        std::vector<std::string> names = d->net.getUnconnectedOutLayersNames();
        std::vector<cv::Mat> outs = probe(d->net, names, kDetectorSize, "BlazeFace short-range");
        int boxes = -1, scores = -1;
        std::string shapes;
        for (size_t i = 0; i < outs.size(); ++i) {
            shapes += (i ? ", " : "") + shapeText(outs[i]);
            if (outs[i].total() == size_t(kAnchorCount) * 16) boxes = int(i);
            else if (outs[i].total() == size_t(kAnchorCount)) scores = int(i);
        }
        if (outs.size() != 2 || boxes < 0 || scores < 0)
            throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH,
                "not a BlazeFace short-range model: expected outputs 1x896x16 and 1x896x1 for a 1x3x128x128 input, found " +
                (shapes.empty() ? std::string("none") : shapes));
        d->outputNames = {names[size_t(boxes)], names[size_t(scores)]};
        *out = d.release();
    });
}

extern "C" void vcv_face_detector_destroy(vcv_face_detector *detector) { delete detector; }

extern "C" vcv_status vcv_face_detector_detect(vcv_face_detector *detector, const vcv_image *image, float min_score,
                                               float nms_threshold, const vcv_face_detection **faces, int32_t *count,
                                               vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(detector != nullptr && faces != nullptr && count != nullptr, "no detector or output");
        detector->detect(image, min_score, nms_threshold);
        *faces = detector->faces.data();
        *count = static_cast<int32_t>(detector->faces.size());
    });
}

// MARK: FaceMesh

struct vcv_face_landmarker {
    cv::dnn::Net net;
    std::vector<std::string> outputNames; // points (1404), presence logit (1)
    cv::Mat scratch, crop, blob;
    std::vector<cv::Mat> outputs;

    void run(const vcv_image *image, const vcv_face_region &region, float *points, float *presence) {
        vcv::require(std::isfinite(region.center_x) && std::isfinite(region.center_y) && std::isfinite(region.rotation) &&
                         region.size >= 1 && region.size < 1e5f, "invalid face region");
        cv::Mat bgr = vcv::asBGR(image, scratch);
        regionBlob(bgr, region, kLandmarkSize, cv::BORDER_REPLICATE, 1 / 255.0f, 0, crop, blob);
        net.setInput(blob);
        net.forward(outputs, outputNames);
        const float *raw = outputs[0].ptr<float>();
        const cv::Matx23d m = regionToImage(region, kLandmarkSize);
        const double zScale = double(region.size) / kLandmarkSize;
        for (int i = 0; i < VCV_FACE_LANDMARK_COUNT; ++i) {
            const double u = raw[3 * i], v = raw[3 * i + 1];
            points[3 * i] = float(m(0, 0) * u + m(0, 1) * v + m(0, 2));
            points[3 * i + 1] = float(m(1, 0) * u + m(1, 1) * v + m(1, 2));
            points[3 * i + 2] = float(raw[3 * i + 2] * zScale);
        }
        *presence = sigmoid(outputs[1].ptr<float>()[0]);
    }
};

extern "C" vcv_status vcv_face_landmarker_create(const char *model_path, vcv_face_landmarker **out, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr, "no output");
        *out = nullptr;
        auto l = std::make_unique<vcv_face_landmarker>();
        l->net = loadONNX(model_path, "face landmark");
        std::vector<std::string> names = l->net.getUnconnectedOutLayersNames();
        std::vector<cv::Mat> outs = probe(l->net, names, kLandmarkSize, "FaceMesh");
        int points = -1, flag = -1;
        std::string shapes;
        for (size_t i = 0; i < outs.size(); ++i) {
            shapes += (i ? ", " : "") + shapeText(outs[i]);
            if (outs[i].total() == size_t(VCV_FACE_LANDMARK_COUNT) * 3) points = int(i);
            else if (outs[i].total() == 1) flag = int(i);
        }
        if (outs.size() != 2 || points < 0 || flag < 0)
            throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH,
                "not a FaceMesh model: expected outputs 1x1404 and 1x1 for a 1x3x192x192 input, found " +
                (shapes.empty() ? std::string("none") : shapes));
        l->outputNames = {names[size_t(points)], names[size_t(flag)]};
        *out = l.release();
    });
}

extern "C" void vcv_face_landmarker_destroy(vcv_face_landmarker *landmarker) { delete landmarker; }

extern "C" vcv_status vcv_face_landmarker_run(vcv_face_landmarker *landmarker, const vcv_image *image,
                                              const vcv_face_region *region, float *points, float *presence,
                                              vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(landmarker != nullptr && region != nullptr && points != nullptr && presence != nullptr,
                     "no landmarker, region or output");
        landmarker->run(image, *region, points, presence);
    });
}

// MARK: Emotion (mini-XCEPTION on FER2013)

struct vcv_emotion_classifier {
    cv::dnn::Net net;
    cv::Mat scratch, crop, gray, blob;
    std::vector<cv::Mat> outputs;
};

extern "C" vcv_status vcv_emotion_classifier_create(const char *model_path, vcv_emotion_classifier **out, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr, "no output");
        *out = nullptr;
        auto c = std::make_unique<vcv_emotion_classifier>();
        c->net = loadONNX(model_path, "emotion");
        int shape[] = {1, 1, VCV_EMOTION_INPUT, VCV_EMOTION_INPUT};
        cv::Mat probe;
        try {
            c->net.setInput(cv::Mat(4, shape, CV_32F, cv::Scalar(0)));
            probe = c->net.forward();
        } catch (const cv::Exception &e) {
            throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH, std::string("not an emotion model: OpenCV cannot run it on a 1x1x64x64 input (") +
                                   e.func + ")");
        }
        if (probe.total() != size_t(VCV_EMOTION_COUNT))
            throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH, "not an emotion model: expected 7 class scores for a 1x1x64x64 input, found " +
                                   shapeText(probe));
        *out = c.release();
    });
}

extern "C" void vcv_emotion_classifier_destroy(vcv_emotion_classifier *classifier) { delete classifier; }

extern "C" vcv_status vcv_emotion_classifier_run(vcv_emotion_classifier *c, const vcv_image *image, const vcv_face_region *region,
                                                 float *probabilities, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(c != nullptr && region != nullptr && probabilities != nullptr, "no classifier, region or output");
        vcv::require(std::isfinite(region->center_x) && std::isfinite(region->center_y) && std::isfinite(region->rotation) &&
                         region->size >= 1 && region->size < 1e5f, "invalid face region");
        cv::Mat bgr = vcv::asBGR(image, c->scratch);
        cv::Matx23d m = regionToImage(*region, VCV_EMOTION_INPUT);
        cv::warpAffine(bgr, c->crop, cv::Mat(m), cv::Size(VCV_EMOTION_INPUT, VCV_EMOTION_INPUT), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                       cv::BORDER_REPLICATE);
        cv::cvtColor(c->crop, c->gray, cv::COLOR_BGR2GRAY);
        // blobFromImage(gray, 1 / 127.5, (64, 64), 127.5): pixels to [-1, 1].
        c->blob = cv::dnn::blobFromImage(c->gray, 1 / 127.5, cv::Size(), cv::Scalar(127.5));
        c->net.setInput(c->blob);
        cv::Mat scores = c->net.forward();
        vcv::require(scores.total() == size_t(VCV_EMOTION_COUNT), "the emotion model gave " + shapeText(scores));
        const float *p = scores.ptr<float>();
        for (int i = 0; i < VCV_EMOTION_COUNT; ++i) probabilities[i] = p[i];
    });
}

// MARK: solvePnP

extern "C" vcv_status vcv_solve_pnp(const double *object_points, const double *image_points, int32_t count,
                                    const double intrinsics[4], double rotation[9], double translation[3],
                                    vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(object_points != nullptr && image_points != nullptr && intrinsics != nullptr &&
                         rotation != nullptr && translation != nullptr, "no points or output");
        vcv::require(count >= 4, "solvePnP needs at least 4 points");
        cv::Mat object(count, 1, CV_64FC3, const_cast<double *>(object_points));
        cv::Mat projected(count, 1, CV_64FC2, const_cast<double *>(image_points));
        cv::Matx33d camera(intrinsics[0], 0, intrinsics[2], 0, intrinsics[1], intrinsics[3], 0, 0, 1);
        cv::Mat rvec, tvec;
        if (!cv::solvePnP(object, projected, camera, cv::noArray(), rvec, tvec, false, cv::SOLVEPNP_ITERATIVE))
            throw vcv::BridgeError(VCV_ERR_OPENCV, "solvePnP found no pose");
        cv::Matx33d r;
        cv::Rodrigues(rvec, r);
        for (int i = 0; i < 9; ++i) rotation[i] = r.val[i];
        for (int i = 0; i < 3; ++i) translation[i] = tvec.at<double>(i);
    });
}
