/**
 * ONNX model loading: {@link dev.lowbit.onnx.OnnxGraph} indexes a parsed {@code ModelProto} (protobuf
 * classes from {@code org.tribuo:tribuo-util-onnx}), {@link dev.lowbit.onnx.BertOnnxMapper} finds a BERT
 * encoder in it strictly by graph pattern and returns {@link dev.lowbit.nn.BertWeights}, and
 * {@link dev.lowbit.onnx.MiniLm} loads all-MiniLM-L6-v2 as shipped in the langchain4j artifact.
 */
package dev.lowbit.onnx;
