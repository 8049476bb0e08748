#!/usr/bin/env python3
# Copied from the shared models folder (tools/tflite_to_onnx.py); scripts/fetch-models runs it when no mirror holds the face models.
"""Minimal TFLite -> ONNX (NCHW) converter for MediaPipe's legacy face models.

Supports exactly the op set used by face_landmark.tflite and
face_detection_short_range.tflite (mediapipe 0.10.x wheel):
DEQUANTIZE(fp16 consts), CONV_2D, DEPTHWISE_CONV_2D, PRELU, RELU, ADD,
MAX_POOL_2D, PAD, RESHAPE, CONCATENATION.  Needs only pip `tflite` + `onnx`.
Output graph: opset 11, input "input" as NCHW float32 (so cv2.dnn.blobFromImage
can feed it), pads computed explicitly (no auto_pad) for OpenCV 4.6's importer.
"""
import sys
import numpy as np
import tflite
import onnx
from onnx import helper, numpy_helper, TensorProto

OPN = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith('_')}
NP = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
      tflite.TensorType.INT32: np.int32, tflite.TensorType.INT64: np.int64,
      tflite.TensorType.UINT8: np.uint8, tflite.TensorType.INT8: np.int8}
NHWC2NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


def convert(src, dst):
    m = tflite.Model.GetRootAsModel(open(src, 'rb').read(), 0)
    g = m.Subgraphs(0)

    def shape(i):
        t = g.Tensors(i)
        return [int(x) for x in t.ShapeAsNumpy()] if t.ShapeLength() else []

    consts = {}
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        b = m.Buffers(t.Buffer())
        if b is not None and b.DataLength() > 0:
            consts[i] = np.frombuffer(b.DataAsNumpy().tobytes(), dtype=NP[t.Type()]).reshape(shape(i))

    nodes, inits = [], []
    layout = {}  # tensor index -> 'nchw' | 'plain'
    cnt = [0]

    def uniq(p):
        cnt[0] += 1
        return f"{p}_{cnt[0]}"

    def init(arr, p='c'):
        n = uniq(p)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def T(i):
        return f"t{i}"

    def const_as_layout(i, want_nchw):
        c = consts[i].astype(np.float32)
        if want_nchw and c.ndim == 4:
            c = c.transpose(0, 3, 1, 2)
        elif want_nchw and c.ndim in (1, 2, 3):  # broadcast over trailing C (NHWC)
            c = c.reshape(-1, 1, 1) if c.size == c.shape[-1] else c
        return init(c)

    def act(fused, out_name, pre_name):
        if fused == 0:
            return pre_name
        if fused == 1:
            nodes.append(helper.make_node('Relu', [pre_name], [out_name]))
        elif fused == 3:
            nodes.append(helper.make_node('Clip', [pre_name, init(np.array(0, np.float32)),
                                                   init(np.array(6, np.float32))], [out_name]))
        else:
            raise NotImplementedError(f"fused activation {fused}")
        return out_name

    def same_pads(inp, out, k, s, d, padding):
        if padding == tflite.Padding.VALID:
            return [0, 0, 0, 0]
        (ih, iw), (oh, ow) = inp, out
        th = max((oh - 1) * s[0] + (k[0] - 1) * d[0] + 1 - ih, 0)
        tw = max((ow - 1) * s[1] + (k[1] - 1) * d[1] + 1 - iw, 0)
        return [th // 2, tw // 2, th - th // 2, tw - tw // 2]

    graph_inputs = []
    for k in range(g.InputsLength()):
        i = g.Inputs(k)
        n, h, w, c = shape(i)
        graph_inputs.append(helper.make_tensor_value_info('input', TensorProto.FLOAT, [n, c, h, w]))
        nodes.append(helper.make_node('Identity', ['input'], [T(i)]))
        layout[i] = 'nchw'

    for oi in range(g.OperatorsLength()):
        op = g.Operators(oi)
        oc = m.OperatorCodes(op.OpcodeIndex())
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        name = OPN.get(code, str(code))
        ins = [op.Inputs(j) for j in range(op.InputsLength())]
        outs = [op.Outputs(j) for j in range(op.OutputsLength())]
        o = outs[0]
        bo = op.BuiltinOptions()

        def opts(cls):
            x = cls()
            x.Init(bo.Bytes, bo.Pos)
            return x

        if name == 'DEQUANTIZE':
            if ins[0] in consts:
                consts[o] = consts[ins[0]].astype(np.float32)
                continue
            nodes.append(helper.make_node('Cast', [T(ins[0])], [T(o)], to=TensorProto.FLOAT))
            layout[o] = layout[ins[0]]
        elif name in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            x, wi = ins[0], ins[1]
            w = consts[wi].astype(np.float32)
            if name == 'CONV_2D':
                p = opts(tflite.Conv2DOptions)
                W = w.transpose(0, 3, 1, 2)          # OHWI -> OIHW
                group = 1
            else:
                p = opts(tflite.DepthwiseConv2DOptions)
                W = w.transpose(3, 0, 1, 2)          # 1HW(C*M) -> (C*M)1HW
                group = shape(x)[3]
            kh, kw = W.shape[2], W.shape[3]
            s, d = (p.StrideH(), p.StrideW()), (p.DilationHFactor(), p.DilationWFactor())
            pads = same_pads(shape(x)[1:3], shape(o)[1:3], (kh, kw), s, d, p.Padding())
            cin = [T(x), init(W, 'w')]
            if len(ins) > 2 and ins[2] >= 0 and ins[2] in consts:
                cin.append(init(consts[ins[2]].astype(np.float32), 'b'))
            pre = uniq('conv') if p.FusedActivationFunction() else T(o)
            nodes.append(helper.make_node('Conv', cin, [pre], kernel_shape=[kh, kw], strides=list(s),
                                          dilations=list(d), pads=pads, group=group))
            act(p.FusedActivationFunction(), T(o), pre)
            layout[o] = 'nchw'
        elif name == 'PRELU':
            slope = consts[ins[1]].astype(np.float32)
            C = shape(ins[0])[-1]
            slope = slope.reshape(C, 1, 1) if slope.size == C else slope.transpose(2, 0, 1)
            nodes.append(helper.make_node('PRelu', [T(ins[0]), init(slope, 'slope')], [T(o)]))
            layout[o] = 'nchw'
        elif name == 'RELU':
            nodes.append(helper.make_node('Relu', [T(ins[0])], [T(o)]))
            layout[o] = layout[ins[0]]
        elif name in ('ADD', 'MUL'):
            p = opts(tflite.AddOptions if name == 'ADD' else tflite.MulOptions)
            lay = next(layout[i] for i in ins if i in layout)
            names = [T(i) if i in layout else const_as_layout(i, lay == 'nchw') for i in ins]
            pre = uniq('ew') if p.FusedActivationFunction() else T(o)
            nodes.append(helper.make_node('Add' if name == 'ADD' else 'Mul', names, [pre]))
            act(p.FusedActivationFunction(), T(o), pre)
            layout[o] = lay
        elif name == 'MAX_POOL_2D':
            p = opts(tflite.Pool2DOptions)
            k, s = (p.FilterHeight(), p.FilterWidth()), (p.StrideH(), p.StrideW())
            pads = same_pads(shape(ins[0])[1:3], shape(o)[1:3], k, s, (1, 1), p.Padding())
            pre = uniq('pool') if p.FusedActivationFunction() else T(o)
            nodes.append(helper.make_node('MaxPool', [T(ins[0])], [pre], kernel_shape=list(k),
                                          strides=list(s), pads=pads))
            act(p.FusedActivationFunction(), T(o), pre)
            layout[o] = 'nchw'
        elif name == 'PAD':
            pp = consts[ins[1]].astype(np.int64)    # [[n0,n1],[h0,h1],[w0,w1],[c0,c1]]
            order = [0, 3, 1, 2]
            pads = [pp[a, 0] for a in order] + [pp[a, 1] for a in order]
            nodes.append(helper.make_node('Pad', [T(ins[0]), init(np.array(pads, np.int64), 'pads')],
                                          [T(o)], mode='constant'))
            layout[o] = 'nchw'
        elif name == 'RESHAPE':
            src_name = T(ins[0])
            if layout[ins[0]] == 'nchw':
                src_name = uniq('nhwc')
                nodes.append(helper.make_node('Transpose', [T(ins[0])], [src_name], perm=[0, 2, 3, 1]))
            nodes.append(helper.make_node('Reshape', [src_name, init(np.array(shape(o), np.int64), 'shape')],
                                          [T(o)]))
            layout[o] = 'plain'
        elif name == 'CONCATENATION':
            p = opts(tflite.ConcatenationOptions)
            lay = layout[ins[0]]
            ax = p.Axis() % len(shape(o))
            if lay == 'nchw':
                ax = NHWC2NCHW_AXIS[ax]
            nodes.append(helper.make_node('Concat', [T(i) for i in ins], [T(o)], axis=ax))
            layout[o] = lay
        else:
            raise NotImplementedError(name)

    graph_outputs = []
    for k in range(g.OutputsLength()):
        i = g.Outputs(k)
        oname = g.Tensors(i).Name().decode()
        shp = shape(i)
        if layout[i] == 'nchw' and len(shp) == 4:
            if shp[1] * shp[2] == 1:   # [1,1,1,C] -> [1,C]
                nodes.append(helper.make_node('Reshape', [T(i), init(np.array([shp[0], -1], np.int64), 'shape')],
                                              [oname]))
                shp = [shp[0], shp[3]]
            else:
                nodes.append(helper.make_node('Transpose', [T(i)], [oname], perm=[0, 2, 3, 1]))
        else:
            nodes.append(helper.make_node('Identity', [T(i)], [oname]))
        graph_outputs.append(helper.make_tensor_value_info(oname, TensorProto.FLOAT, shp))

    graph = helper.make_graph(nodes, 'converted', graph_inputs, graph_outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11)],
                              producer_name='tflite_to_onnx.py')
    model.ir_version = 6
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{src} -> {dst}: {len(nodes)} nodes, outputs {[o.name for o in graph_outputs]}")


if __name__ == '__main__':
    convert(sys.argv[1], sys.argv[2])
