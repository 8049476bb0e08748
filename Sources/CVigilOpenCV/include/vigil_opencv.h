// The C face of Vigil's OpenCV bridge. Plain C only: no OpenCV or C++ type crosses this header.
//
// Rules: every handle is created by a vcv_*_create function and freed by exactly one call to the matching
// vcv_*_destroy. Every function that can fail returns a vcv_status and fills a caller-provided vcv_error
// with a message; C++ exceptions never leave the bridge. Images cross as (pointer, width, height, stride,
// format) and are only read during the call that receives them.
#ifndef VIGIL_OPENCV_H
#define VIGIL_OPENCV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VCV_OK = 0,
    VCV_ERR_INVALID_ARGUMENT = 1,
    /// OpenCV refused the input: unreadable or malformed model, cascade, image.
    VCV_ERR_OPENCV = 2,
    /// A file could not be read.
    VCV_ERR_IO = 3,
    /// A model file does not fit its configuration (truncated or mismatched weights).
    VCV_ERR_MODEL_MISMATCH = 4,
    VCV_ERR_INTERNAL = 5,
} vcv_status;

typedef struct { char message[1024]; } vcv_error;

typedef enum { VCV_FORMAT_BGR24 = 0, VCV_FORMAT_RGB24 = 1, VCV_FORMAT_GRAY8 = 2 } vcv_format;

/// Borrowed pixels; read during the call only.
typedef struct {
    const uint8_t *data;
    int32_t width;
    int32_t height;
    int32_t stride;
    int32_t format; // vcv_format
} vcv_image;

/// A box in the pixels of the image given to the detector.
typedef struct {
    float x, y, width, height;
    float score;
    int32_t class_id;
} vcv_box;

/// Threads OpenCV's parallel loops (DNN inference included) may use; process-wide. 0 = one per core.
void vcv_set_num_threads(int32_t threads);
int32_t vcv_get_num_threads(void);

/// SHA-256 of a file as 64 lowercase hex digits plus a terminating zero.
vcv_status vcv_sha256_file(const char *path, char out_hex[65], vcv_error *error);

// MARK: DNN detector

typedef struct vcv_dnn vcv_dnn;

typedef enum { VCV_DNN_DARKNET = 0, VCV_DNN_ONNX = 1 } vcv_dnn_framework;

/// How the network's outputs are laid out.
typedef enum {
    /// Pick from the output shape: Darknet region rows, [1, N, 5+C] (YOLOv5) or [1, 4+C, N] (YOLOv8/11).
    VCV_DECODE_AUTO = 0,
    /// OpenCV's Darknet region/yolo layers: rows of (cx, cy, w, h, objectness, class scores), relative.
    VCV_DECODE_DARKNET = 1,
    /// Ultralytics YOLOv5 export: [1, N, 5+C] rows (cx, cy, w, h in input pixels, objectness, class probs).
    VCV_DECODE_YOLOV5 = 2,
    /// Ultralytics YOLOv8 / YOLO11 export: [1, 4+C, N] columns (cx, cy, w, h in input pixels, class scores).
    VCV_DECODE_YOLOV8 = 3,
} vcv_decoder;

typedef struct {
    int32_t framework;    // vcv_dnn_framework
    int32_t decoder;      // vcv_decoder
    int32_t input_width;  // network input size
    int32_t input_height;
    int32_t letterbox;    // 1: keep aspect, pad with grey; 0: stretch to the input size
    int32_t slots;        // independent (prepare, forward, decode) buffers, for pipelining; >= 1
} vcv_dnn_options;

/// Loads a network (weights/model file, plus the .cfg for Darknet; `config` may be NULL for ONNX),
/// checks that a Darknet weights file holds exactly the parameters its cfg asks for, and runs one
/// forward pass on a blank image so that a broken model fails here rather than on the first frame.
vcv_status vcv_dnn_create(const char *model_path, const char *config_path, const vcv_dnn_options *options,
                          vcv_dnn **out, vcv_error *error);
void vcv_dnn_destroy(vcv_dnn *dnn);
/// Number of classes the network scores (known after create).
int32_t vcv_dnn_class_count(const vcv_dnn *dnn);
/// The decoder in use (after AUTO was resolved).
int32_t vcv_dnn_decoder(const vcv_dnn *dnn);

/// Step 1 (any thread): turns an image into the network input of `slot`.
vcv_status vcv_dnn_prepare(vcv_dnn *dnn, int32_t slot, const vcv_image *image, vcv_error *error);
/// Step 2 (one thread at a time for a given handle): runs the network on the input of `slot`.
vcv_status vcv_dnn_forward(vcv_dnn *dnn, int32_t slot, vcv_error *error);
/// Step 3 (any thread): decodes the outputs of `slot` into boxes in the prepared image's pixels:
/// class filter (`allowed`/`allowed_count`, NULL for all), confidence threshold, per-class NMS.
/// `boxes` points into the handle and stays valid until the next decode of the same slot.
vcv_status vcv_dnn_decode(vcv_dnn *dnn, int32_t slot, float confidence, float nms_threshold,
                          const int32_t *allowed, int32_t allowed_count,
                          const vcv_box **boxes, int32_t *count, vcv_error *error);

// MARK: HOG people detector

typedef struct vcv_hog vcv_hog;
vcv_status vcv_hog_create(vcv_hog **out, vcv_error *error);
void vcv_hog_destroy(vcv_hog *hog);
/// OpenCV's default people detector; `upscale` > 1 enlarges the image first (people under 128 px).
vcv_status vcv_hog_detect(vcv_hog *hog, const vcv_image *image, double hit_threshold, double upscale,
                          const vcv_box **boxes, int32_t *count, vcv_error *error);

// MARK: Cascades (Haar / LBP)

typedef struct vcv_cascade vcv_cascade;

typedef struct {
    double scale_factor;   // > 1
    int32_t min_neighbors;
    int32_t min_size;      // pixels, 0 = none
    int32_t max_size;      // pixels, 0 = none
} vcv_cascade_params;

vcv_status vcv_cascade_create(const char *path, const vcv_cascade_params *params, vcv_cascade **out,
                              vcv_error *error);
void vcv_cascade_destroy(vcv_cascade *cascade);
/// Runs `parent` on the image (equalised grey); if it finds nothing, retries on the image rotated by each
/// angle of `rotations` (degrees) in turn. Each child cascade is run only inside each parent box (in the
/// same rotated image). Boxes come back in image pixels; class_id 0 = parent, i + 1 = children[i].
vcv_status vcv_cascade_detect(vcv_cascade *parent, vcv_cascade *const *children, int32_t child_count,
                              const vcv_image *image, const double *rotations, int32_t rotation_count,
                              const vcv_box **boxes, int32_t *count, vcv_error *error);

// MARK: Motion (MOG2 background subtraction)

typedef struct vcv_motion vcv_motion;

typedef struct {
    int32_t history;        // frames of background memory
    double var_threshold;   // MOG2 variance threshold
    int32_t work_width;     // images are reduced to at most this width first (0 = as given)
    double min_area;        // minimum blob area, in pixels of the given image
    double merge_distance;  // boxes closer than this (given-image pixels) are merged
} vcv_motion_params;

vcv_status vcv_motion_create(const vcv_motion_params *params, vcv_motion **out, vcv_error *error);
void vcv_motion_destroy(vcv_motion *motion);
/// Feeds one frame; returns the moving regions (none on the first frame, which seeds the background).
vcv_status vcv_motion_detect(vcv_motion *motion, const vcv_image *image, const vcv_box **boxes,
                             int32_t *count, vcv_error *error);

// MARK: Drawing and pictures (evidence snapshots, overlays)

/// A colour drawn on a BGR24 image.
typedef struct { uint8_t r, g, b; } vcv_color;

/// Draws in place on `image` (BGR24; the pixels are written during the call). Coordinates in image pixels.
vcv_status vcv_draw_rect(const vcv_image *image, float x, float y, float width, float height, vcv_color color,
                         int32_t thickness, vcv_error *error);
/// `points` holds `count` (x, y) pairs; `closed` joins the last to the first.
vcv_status vcv_draw_polyline(const vcv_image *image, const float *points, int32_t count, int32_t closed,
                             vcv_color color, int32_t thickness, vcv_error *error);
/// Hershey simplex text with its baseline at (x, y), on a dark band.
vcv_status vcv_draw_text(const vcv_image *image, const char *text, float x, float y, double scale, vcv_color color,
                         vcv_error *error);

/// JPEG of the image, or of the crop (x, y, width, height in image pixels, clipped to it) when `crop` is not
/// NULL. The bytes are returned in `*out`, owned by the caller and freed with vcv_buffer_free.
vcv_status vcv_encode_jpeg(const vcv_image *image, const float *crop, int32_t quality, uint8_t **out, size_t *size,
                           vcv_error *error);
void vcv_buffer_free(uint8_t *buffer);

// MARK: Face models (MediaPipe's BlazeFace short-range detector and FaceMesh, converted to ONNX)

/// A square region of an image: centre and side in image pixels, turned about its centre by `rotation`
/// radians. Positive turns the region's x axis towards the image's +y (clockwise on screen), so a region
/// whose rotation equals a face's roll has the face upright inside it.
typedef struct {
    float center_x, center_y, size, rotation;
} vcv_face_region;

/// A face found by the detector, in image pixels, with its six keypoints as (x, y) pairs: the subject's
/// right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
typedef struct {
    float x, y, width, height;
    float score;
    float keypoints[12];
} vcv_face_detection;

/// FaceMesh's point count; points come as (x, y, z) triples.
#define VCV_FACE_LANDMARK_COUNT 468

typedef struct vcv_face_detector vcv_face_detector;

/// Loads BlazeFace short-range (input 1x3x128x128, outputs 1x896x16 regressors and 1x896x1 scores) and runs
/// it once on a blank input: a model with other outputs fails here with VCV_ERR_MODEL_MISMATCH.
vcv_status vcv_face_detector_create(const char *model_path, vcv_face_detector **out, vcv_error *error);
void vcv_face_detector_destroy(vcv_face_detector *detector);
/// Detects faces on the whole image (one call at a time per handle): letterboxed into 128x128 RGB in
/// [-1, 1] (black border), 896 anchors (16x16x2 + 8x8x6), offsets / 128, sigmoid scores >= `min_score`,
/// MediaPipe's weighted non-maximum suppression at IoU `nms_threshold`. Faces are sorted by score;
/// `faces` points into the handle and stays valid until its next detect.
vcv_status vcv_face_detector_detect(vcv_face_detector *detector, const vcv_image *image, float min_score,
                                    float nms_threshold, const vcv_face_detection **faces, int32_t *count,
                                    vcv_error *error);

typedef struct vcv_face_landmarker vcv_face_landmarker;

/// Loads FaceMesh (input 1x3x192x192, outputs 1x1404 points and a 1x1 face-presence logit) and runs it once.
vcv_status vcv_face_landmarker_create(const char *model_path, vcv_face_landmarker **out, vcv_error *error);
void vcv_face_landmarker_destroy(vcv_face_landmarker *landmarker);
/// Runs FaceMesh on `region` of the image (one call at a time per handle): the region warped to 192x192 RGB
/// in [0, 1] (bilinear, border replicated), the 468 points mapped back to image pixels into `points`
/// (x, y, z; z is depth relative to the face, in the same pixels), and `presence` set to the sigmoid of
/// the face logit.
vcv_status vcv_face_landmarker_run(vcv_face_landmarker *landmarker, const vcv_image *image,
                                   const vcv_face_region *region, float points[VCV_FACE_LANDMARK_COUNT * 3],
                                   float *presence, vcv_error *error);

/// The emotion classifier's input side and classes: mini-XCEPTION trained on FER2013, softmax over angry,
/// disgust, fear, happy, sad, surprise, neutral (in this order).
#define VCV_EMOTION_INPUT 64
#define VCV_EMOTION_COUNT 7

typedef struct vcv_emotion_classifier vcv_emotion_classifier;

/// Loads the classifier (input 1x1x64x64 gray in [-1, 1], output 7 probabilities) and runs it once.
vcv_status vcv_emotion_classifier_create(const char *model_path, vcv_emotion_classifier **out, vcv_error *error);
void vcv_emotion_classifier_destroy(vcv_emotion_classifier *classifier);
/// Classifies the face in `region` of the image (one call at a time per handle): the region warped upright to
/// 64x64, gray, (pixel - 127.5) / 127.5; writes the 7 class probabilities.
vcv_status vcv_emotion_classifier_run(vcv_emotion_classifier *classifier, const vcv_image *image,
                                      const vcv_face_region *region, float probabilities[VCV_EMOTION_COUNT], vcv_error *error);

// MARK: Geometry

/// The pose of a rigid model from `count` (>= 4) correspondences (cv::solvePnP, iterative): `object_points`
/// as (x, y, z) triples, `image_points` as (x, y) pairs, a pinhole camera `intrinsics` = (fx, fy, cx, cy)
/// without distortion. Writes the rotation as a row-major 3x3 matrix and the translation, both taking model
/// coordinates to camera coordinates (x right, y down, z forward).
vcv_status vcv_solve_pnp(const double *object_points, const double *image_points, int32_t count,
                         const double intrinsics[4], double rotation[9], double translation[3], vcv_error *error);

#ifdef __cplusplus
}
#endif

#endif
