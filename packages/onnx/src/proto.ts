// The subset of onnx.proto that export writes (field numbers as in ONNX 1.23's onnx.proto),
// declared as a protobufjs JSON schema, and the encoder that turns a model object into bytes.

import protobuf from 'protobufjs/light.js';

/** TensorProto.DataType values for the dtypes dl exports. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** onnx.AttributeProto: one named attribute of a node; `type` says which field holds it. */
export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

/** onnx.NodeProto: one operator call, its inputs and outputs named by value. */
export interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeMessage[];
}

/** onnx.TensorProto: a constant (an initializer), its elements little-endian in `rawData`. */
export interface TensorMessage {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

/** onnx.ValueInfoProto: a graph input or output, with its element type and shape. */
export interface ValueInfoMessage {
  name: string;
  type: {
    tensorType: {
      elemType: number;
      /** Each dim: a fixed size, a named dynamic size, or unknown (`{}`). */
      shape: { dim: ({ dimValue: number } | { dimParam: string } | Record<string, never>)[] };
    };
  };
}

/**
 * onnx.ModelProto as plain objects, field names in camelCase: what exportOnnx encodes and
 * decodeModel reads back.
 */
export interface ModelMessage {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: {
    node: NodeMessage[];
    name: string;
    initializer: TensorMessage[];
    input: ValueInfoMessage[];
    output: ValueInfoMessage[];
  };
}

const schema = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            type: { type: 'int32', id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: {
            Tensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** onnx.ModelProto, built from the schema on first use (nothing happens at import). */
export function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(schema).lookupType('onnx.ModelProto');
  return modelType;
}

/** The protobuf bytes of a model. */
export function encodeModel(model: ModelMessage): Uint8Array {
  const type = modelProto();
  // A copy: protobufjs may hand back a Node Buffer sliced from a shared pool.
  return Uint8Array.from(type.encode(type.fromObject(model)).finish());
}

/** Reads model bytes back into plain objects (int64 fields as numbers), for inspection. */
export function decodeModel(bytes: Uint8Array): ModelMessage {
  const type = modelProto();
  // protobufjs returns an untyped object; its shape is the schema above.
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as ModelMessage;
}
