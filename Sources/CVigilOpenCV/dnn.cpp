// OpenCV DNN detector: Darknet and ONNX YOLO families, split into prepare / forward / decode so that
// callers can overlap the pre- and post-processing of neighbouring frames with inference.
#include "bridge.hpp"

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <vector>

namespace {

struct Slot {
    cv::Mat scratch, resized, padded, blob;
    std::vector<cv::Mat> outputs;
    // Mapping from network-input pixels back to image pixels: image = (input - pad) / scale.
    double scaleX = 1, scaleY = 1, padX = 0, padY = 0;
    int imageWidth = 0, imageHeight = 0;
    bool prepared = false, forwarded = false;
    std::vector<vcv_box> boxes;
};

bool fileExists(const char *path) {
    struct stat st;
    return path != nullptr && ::stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

long long fileSize(const char *path) {
    struct stat st;
    return ::stat(path, &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

/// Number of float parameters a Darknet .weights file carries after its header.
long long darknetWeightCount(const char *path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw vcv::BridgeError(VCV_ERR_IO, std::string("cannot open ") + path);
    int32_t header[3] = {0, 0, 0};
    file.read(reinterpret_cast<char *>(header), sizeof(header));
    if (!file) throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH, std::string("weights file too short: ") + path);
    int32_t major = header[0], minor = header[1];
    // Same rule as Darknet and OpenCV's reader: 64-bit "seen" counter from version 0.2 on.
    long long headerBytes = 12 + (((major * 10 + minor) >= 2 && major < 1000 && minor < 1000) ? 8 : 4);
    long long payload = fileSize(path) - headerBytes;
    if (payload < 0 || payload % 4 != 0) return -1;
    return payload / 4;
}

} // namespace

struct vcv_dnn {
    cv::dnn::Net net;
    std::vector<std::string> outputNames;
    vcv_dnn_options options{};
    int framework = VCV_DNN_DARKNET;
    int decoder = VCV_DECODE_DARKNET;
    int classCount = 0;
    std::vector<Slot> slots;

    Slot &slot(int32_t index) {
        vcv::require(index >= 0 && index < static_cast<int32_t>(slots.size()), "slot out of range");
        return slots[static_cast<size_t>(index)];
    }

    void prepare(Slot &s, const vcv_image *image) {
        cv::Mat bgr = vcv::asBGR(image, s.scratch);
        const int iw = options.input_width, ih = options.input_height;
        s.imageWidth = bgr.cols;
        s.imageHeight = bgr.rows;
        if (options.letterbox) {
            double r = std::min(double(iw) / bgr.cols, double(ih) / bgr.rows);
            int nw = std::max(1, int(std::lround(bgr.cols * r))), nh = std::max(1, int(std::lround(bgr.rows * r)));
            double dw = (iw - nw) / 2.0, dh = (ih - nh) / 2.0;
            int top = int(std::lround(dh - 0.1)), bottom = ih - nh - top;
            int left = int(std::lround(dw - 0.1)), right = iw - nw - left;
            if (nw != bgr.cols || nh != bgr.rows) cv::resize(bgr, s.resized, cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
            else s.resized = bgr;
            cv::copyMakeBorder(s.resized, s.padded, top, bottom, left, right, cv::BORDER_CONSTANT,
                               cv::Scalar(114, 114, 114));
            cv::dnn::blobFromImage(s.padded, s.blob, 1.0 / 255.0, cv::Size(), cv::Scalar(), true, false);
            s.scaleX = s.scaleY = r;
            s.padX = left;
            s.padY = top;
        } else {
            // Same as cv::dnn::DetectionModel: a plain resize to the input size.
            cv::dnn::blobFromImage(bgr, s.blob, 1.0 / 255.0, cv::Size(iw, ih), cv::Scalar(), true, false);
            s.scaleX = double(iw) / bgr.cols;
            s.scaleY = double(ih) / bgr.rows;
            s.padX = s.padY = 0;
        }
        s.prepared = true;
        s.forwarded = false;
    }

    void forward(Slot &s) {
        vcv::require(s.prepared, "forward before prepare");
        net.setInput(s.blob);
        std::vector<cv::Mat> outs;
        net.forward(outs, outputNames);
        // The net reuses its output buffers on the next forward: keep our own copy for decoding.
        s.outputs.resize(outs.size());
        for (size_t i = 0; i < outs.size(); ++i) outs[i].copyTo(s.outputs[i]);
        s.prepared = false;
        s.forwarded = true;
    }

    /// One candidate row: centre and size in network-input pixels.
    struct Candidate { float cx, cy, w, h, score; int classID; };

    void candidates(const Slot &s, float confidence, std::vector<Candidate> &out) const {
        const float iw = float(options.input_width), ih = float(options.input_height);
        for (const cv::Mat &o : s.outputs) {
            if (decoder == VCV_DECODE_YOLOV8) {
                // [1, 4 + C, N]: one column per anchor.
                int rows = o.dims == 3 ? o.size[1] : o.rows, cols = o.dims == 3 ? o.size[2] : o.cols;
                const float *base = o.ptr<float>();
                for (int j = 0; j < cols; ++j) {
                    int best = -1; float bestScore = -1;
                    for (int c = 4; c < rows; ++c) {
                        float v = base[size_t(c) * cols + j];
                        if (v > bestScore) { bestScore = v; best = c - 4; }
                    }
                    if (best < 0 || bestScore < confidence) continue;
                    out.push_back({base[j], base[size_t(cols) + j], base[size_t(2) * cols + j],
                                   base[size_t(3) * cols + j], bestScore, best});
                }
            } else {
                // Rows of (cx, cy, w, h, objectness, class scores...).
                int rows = o.dims == 3 ? o.size[1] : o.rows, cols = o.dims == 3 ? o.size[2] : o.cols;
                const float *base = o.ptr<float>();
                for (int j = 0; j < rows; ++j) {
                    const float *row = base + size_t(j) * cols;
                    int best = -1; float bestScore = -1;
                    for (int c = 5; c < cols; ++c)
                        if (row[c] > bestScore) { bestScore = row[c]; best = c - 5; }
                    if (best < 0) continue;
                    // Darknet's region layer already multiplied objectness in; Ultralytics v5 did not.
                    float score = decoder == VCV_DECODE_YOLOV5 ? bestScore * row[4] : bestScore;
                    if (score < confidence) continue;
                    if (decoder == VCV_DECODE_DARKNET)
                        out.push_back({row[0] * iw, row[1] * ih, row[2] * iw, row[3] * ih, score, best});
                    else
                        out.push_back({row[0], row[1], row[2], row[3], score, best});
                }
            }
        }
    }

    void decode(Slot &s, float confidence, float nmsThreshold, const int32_t *allowed, int32_t allowedCount) {
        vcv::require(s.forwarded, "decode before forward");
        std::vector<Candidate> found;
        candidates(s, confidence, found);
        std::map<int, std::vector<size_t>> byClass;
        for (size_t i = 0; i < found.size(); ++i) {
            if (allowed != nullptr &&
                std::find(allowed, allowed + allowedCount, found[i].classID) == allowed + allowedCount)
                continue;
            byClass[found[i].classID].push_back(i);
        }
        s.boxes.clear();
        const double W = s.imageWidth, H = s.imageHeight;
        for (auto &[classID, members] : byClass) {
            std::vector<cv::Rect2d> rects;
            std::vector<float> scores;
            for (size_t i : members) {
                const Candidate &c = found[i];
                double x0 = (c.cx - c.w / 2 - s.padX) / s.scaleX, y0 = (c.cy - c.h / 2 - s.padY) / s.scaleY;
                double x1 = (c.cx + c.w / 2 - s.padX) / s.scaleX, y1 = (c.cy + c.h / 2 - s.padY) / s.scaleY;
                x0 = std::clamp(x0, 0.0, W); x1 = std::clamp(x1, 0.0, W);
                y0 = std::clamp(y0, 0.0, H); y1 = std::clamp(y1, 0.0, H);
                rects.emplace_back(x0, y0, x1 - x0, y1 - y0);
                scores.push_back(c.score);
            }
            std::vector<int> keep;
            if (nmsThreshold > 0 && nmsThreshold < 1)
                cv::dnn::NMSBoxes(rects, scores, confidence, nmsThreshold, keep);
            else
                for (size_t i = 0; i < rects.size(); ++i) keep.push_back(int(i));
            for (int k : keep)
                if (rects[size_t(k)].width > 0 && rects[size_t(k)].height > 0)
                    s.boxes.push_back(vcv::makeBox(rects[size_t(k)], scores[size_t(k)], classID));
        }
        std::sort(s.boxes.begin(), s.boxes.end(), [](const vcv_box &a, const vcv_box &b) {
            if (a.score != b.score) return a.score > b.score;
            return a.y != b.y ? a.y < b.y : a.x < b.x;
        });
    }
};

extern "C" vcv_status vcv_dnn_create(const char *model_path, const char *config_path,
                                     const vcv_dnn_options *options, vcv_dnn **out, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(out != nullptr && options != nullptr, "no output or options");
        *out = nullptr;
        vcv::require(options->input_width >= 32 && options->input_height >= 32 &&
                         options->input_width <= 4096 && options->input_height <= 4096,
                     "input size must be within 32...4096");
        vcv::require(options->slots >= 1 && options->slots <= 16, "slots must be within 1...16");
        if (!fileExists(model_path))
            throw vcv::BridgeError(VCV_ERR_IO, std::string("model file not found: ") + (model_path ? model_path : "(none)"));
        auto dnn = std::make_unique<vcv_dnn>();
        dnn->options = *options;
        dnn->framework = options->framework;
        if (options->framework == VCV_DNN_DARKNET) {
            if (!fileExists(config_path))
                throw vcv::BridgeError(VCV_ERR_IO, std::string("Darknet cfg file not found: ") + (config_path ? config_path : "(none)"));
            dnn->net = cv::dnn::readNetFromDarknet(config_path, model_path);
            if (dnn->net.empty()) throw vcv::BridgeError(VCV_ERR_OPENCV, "OpenCV could not build a network from the cfg");
            // OpenCV reads as many floats as the cfg needs and ignores the rest, and fills in zeros when the
            // file is short: compare the counts so that truncated or foreign weights fail loudly.
            long long needed = 0;
            for (const std::string &name : dnn->net.getLayerNames()) {
                cv::Ptr<cv::dnn::Layer> layer = dnn->net.getLayer(name);
                if (layer->type == "Region") continue; // anchors come from the cfg, not the weights
                for (const cv::Mat &blob : layer->blobs) needed += static_cast<long long>(blob.total());
            }
            long long present = darknetWeightCount(model_path);
            if (present != needed)
                throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH,
                    "the weights file holds " + std::to_string(present) + " parameters but the cfg needs " +
                    std::to_string(needed) + " (truncated download, or weights of another model)");
        } else if (options->framework == VCV_DNN_ONNX) {
            dnn->net = cv::dnn::readNetFromONNX(model_path);
            if (dnn->net.empty()) throw vcv::BridgeError(VCV_ERR_OPENCV, "OpenCV could not build a network from the ONNX file");
        } else {
            throw vcv::BridgeError(VCV_ERR_INVALID_ARGUMENT, "unknown model framework");
        }
        dnn->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        dnn->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        dnn->outputNames = dnn->net.getUnconnectedOutLayersNames();
        dnn->slots.resize(static_cast<size_t>(options->slots));

        // A first pass on a grey image: shapes get checked and the output layout is learnt.
        cv::Mat grey(options->input_height, options->input_width, CV_8UC3, cv::Scalar(114, 114, 114));
        vcv_image probe{grey.data, grey.cols, grey.rows, static_cast<int32_t>(grey.step[0]), VCV_FORMAT_BGR24};
        Slot &s = dnn->slots[0];
        dnn->prepare(s, &probe);
        dnn->forward(s);
        vcv::require(!s.outputs.empty(), "the network has no outputs");
        const cv::Mat &o = s.outputs[0];
        int d1 = o.dims == 3 ? o.size[1] : o.rows, d2 = o.dims == 3 ? o.size[2] : o.cols;
        int decoder = options->decoder;
        if (decoder == VCV_DECODE_AUTO)
            decoder = options->framework == VCV_DNN_DARKNET ? VCV_DECODE_DARKNET : (d1 < d2 ? VCV_DECODE_YOLOV8 : VCV_DECODE_YOLOV5);
        if (o.dims > 3 || (o.dims == 3 && o.size[0] != 1))
            throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH, "unsupported output shape (expected one image of YOLO rows)");
        dnn->decoder = decoder;
        dnn->classCount = decoder == VCV_DECODE_YOLOV8 ? d1 - 4 : d2 - 5;
        if (dnn->classCount < 1)
            throw vcv::BridgeError(VCV_ERR_MODEL_MISMATCH,
                "output shape " + std::to_string(d1) + "x" + std::to_string(d2) + " does not fit the chosen YOLO layout");
        s.forwarded = false;
        *out = dnn.release();
    });
}

extern "C" void vcv_dnn_destroy(vcv_dnn *dnn) { delete dnn; }
extern "C" int32_t vcv_dnn_class_count(const vcv_dnn *dnn) { return dnn ? dnn->classCount : 0; }
extern "C" int32_t vcv_dnn_decoder(const vcv_dnn *dnn) { return dnn ? dnn->decoder : 0; }

extern "C" vcv_status vcv_dnn_prepare(vcv_dnn *dnn, int32_t slot, const vcv_image *image, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(dnn != nullptr, "no network");
        dnn->prepare(dnn->slot(slot), image);
    });
}

extern "C" vcv_status vcv_dnn_forward(vcv_dnn *dnn, int32_t slot, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(dnn != nullptr, "no network");
        dnn->forward(dnn->slot(slot));
    });
}

extern "C" vcv_status vcv_dnn_decode(vcv_dnn *dnn, int32_t slot, float confidence, float nms_threshold,
                                     const int32_t *allowed, int32_t allowed_count, const vcv_box **boxes,
                                     int32_t *count, vcv_error *error) {
    return vcv::guarded(error, [&] {
        vcv::require(dnn != nullptr && boxes != nullptr && count != nullptr, "no network or output");
        Slot &s = dnn->slot(slot);
        dnn->decode(s, confidence, nms_threshold, allowed, allowed_count);
        *boxes = s.boxes.data();
        *count = static_cast<int32_t>(s.boxes.size());
    });
}
