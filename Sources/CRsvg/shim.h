#ifndef VIGIL_CRSVG_SHIM_H
#define VIGIL_CRSVG_SHIM_H

#include <librsvg/rsvg.h>
#include <cairo.h>
#include <string.h>
#include <stdlib.h>

/* Rasterises an SVG document to a PNG file of width x height pixels with librsvg and cairo.
   Returns 0, or -1 with a message in *error (free it with free()). Everything allocated here is freed here. */
static inline int vigil_svg_to_png(const char *svg, size_t length, int width, int height, const char *path, char **error) {
    GError *gerror = NULL;
    *error = NULL;
    RsvgHandle *handle = rsvg_handle_new_from_data((const guint8 *)svg, length, &gerror);
    if (!handle) {
        *error = strdup(gerror ? gerror->message : "cannot read the SVG");
        if (gerror) g_error_free(gerror);
        return -1;
    }
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    RsvgRectangle viewport = { 0, 0, width, height };
    int status = 0;
    if (!rsvg_handle_render_document(handle, cr, &viewport, &gerror)) {
        *error = strdup(gerror ? gerror->message : "cannot render the SVG");
        if (gerror) g_error_free(gerror);
        status = -1;
    } else if (cairo_surface_write_to_png(surface, path) != CAIRO_STATUS_SUCCESS) {
        *error = strdup("cannot write the PNG file");
        status = -1;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    g_object_unref(handle);
    return status;
}

#endif
