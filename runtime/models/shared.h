/* shared.h: shared weights for the children of a CNN space, a DAG-cell
 * space or a recurrent-cell space (parameter sharing, as in ENAS: Pham et
 * al., 2018).
 *
 * A store holds one weight tensor per (position, operation, kernel shape,
 * input source) and the optimizer's buffers beside it. A child takes its
 * weights from the store instead of training its own, so that every
 * architecture of the space is judged by weights that all the sampled
 * children have trained together.
 *
 * How a child's weight maps into the store. A weight named
 * layer.<i>.<inst>.<tensor> (child.h) of an operation op is seen as
 * [A, B, kernel]: A its first dimension (a convolution's filters, a dense
 * layer's units), B its second (the inputs), then a convolution's kernel
 * (height x width). A one-dimensional weight is [1, B].
 *   - The first dimension takes the leading slice of the stored tensor: a
 *     layer with 24 filters uses the first 24 of a tensor that a 48-filter
 *     child made 48 long. Filter-count choices therefore share.
 *   - The second dimension is split by input source. A layer's input is the
 *     concatenation of its sources (the image, or the outputs of the layers
 *     its anchors chose, child.h); each source has its own stored tensor,
 *     keyed by its name ("image", "L3": the output of layer 3, whatever
 *     operations made it), of which the child takes the leading slice of
 *     that source's channels (times the values per channel, for a dense
 *     layer over a map). The weight that joins channel c of layer 3 to
 *     filter f of layer 7 is thus one value, whatever else layer 7 reads.
 *     Inside a layer, after an operation that makes new channels (one with
 *     a weight of two or more dimensions, or one whose output has another
 *     channel count) the source is that operation's output ("L3o0"); an
 *     operation that keeps the channel count passes its input's sources on.
 *     A one-dimensional weight of an operation that keeps the channel count
 *     (batch norm) is split by source too; any other (a bias) takes the
 *     leading slice of its output. (Past 256 sources, a layer's input is
 *     one source named for the layer.)
 *   - A kernel (the last two dimensions of a four-dimensional weight) takes
 *     the centre of the largest: a 3x3 convolution at a position uses the
 *     middle 3x3 of the 5x5 that a 5x5 child of that position trained, and
 *     a 3x5 the middle three rows (as Once-for-All's elastic kernels,
 *     without their transform). Arguments that change no weight's shape (a
 *     stride) share too. The rest of another weight's shape (R, the
 *     product of its other dimensions) is part of the key with the
 *     operation's name.
 * A weight whose second dimension does not divide by the input channels (a
 * plug-in's) is stored whole, keyed by its full shape.
 *
 * A DAG network (runtime/models/dagnet.h) numbers its layers by what the
 * architecture builds, so there a weight is keyed by its layer's place
 * (arch_layer.share: stage, cell copy, edge and operation) in place of
 * layer.<i>, and every layer reads one source, "in": one tensor per (cell
 * copy, edge, operation), as in ENAS's micro search, the rules above for
 * the rest (leading slices where a place's input is wider in one
 * architecture than in another).
 *
 * The store grows as children need more of it (filters, inputs, kernel
 * size): a region no child has used yet starts with the initial values of the first child that uses it (its
 * builder's initialisation) and zero optimizer buffers. The same draws in
 * the same order therefore give the same store.
 *
 * Batch norm's running statistics are not shared (a position's running
 * mean would mix architectures): a child bound to a store normalises with
 * the statistics of its batch, in training and in evaluation
 * (child_batch_statistics, child.h). */
#ifndef NASLC_SHARED_H
#define NASLC_SHARED_H

#include "common/arena.h"
#include "common/strmap.h"
#include "nn/optim.h"
#include "runtime/models/child.h"

typedef struct shared_entry {
  const char *key;   /* "layer.3.conv2d.weight|conv2d|k/1|L1o0" (in the store's arena) */
  int a, b, kh, kw;  /* shape [a, b, kh, kw] (kh the product of a weight's other dimensions and
                        kw 1 when it has no kernel) */
  float *w;          /* a*b*r values */
  float *m, *v;      /* optimizer buffers, as nn_optim's (v: Adam only), or NULL */
} shared_entry;

typedef struct shared_weights {
  arena keys;              /* the entries' keys */
  strmap index;            /* key -> entry index + 1 */
  int n, cap;              /* entries */
  shared_entry *e;
  int moments;             /* optimizer buffers per entry: 0, 1 (SGD momentum) or 2 (Adam) */
  long steps;              /* optimizer updates done (Adam's bias correction) */
} shared_weights;

/* One block of a child's weight: its second dimension [off, off + count)
 * is entry's [0, count). */
typedef struct shared_block {
  int entry, off, count;
} shared_block;

/* One weight of a child and where it lives in the store. */
typedef struct shared_view {
  int param;               /* its index in the child's params */
  int a, b, kh, kw;        /* the child's shape, as [a, b, kh, kw] */
  int nblocks;
  shared_block *blocks;
} shared_view;

/* The views of every shared weight of one child. */
typedef struct shared_map {
  int n;
  shared_view *v;
} shared_map;

/* An empty store whose entries keep `moments` optimizer buffers. */
void shared_init(shared_weights *s, int moments);
void shared_free(shared_weights *s);
/* Values held (weights only). */
int64_t shared_count(const shared_weights *s);

/* Maps c's weights into s and loads them into c; with o (an nn_optim made
 * for c->params), loads its buffers too. With grow, s grows to hold all of
 * c, fresh regions taking c's values; without, s is not changed and what it
 * does not hold keeps c's own values (judging an architecture must not
 * change the store). Fills *map (shared_map_free). 0, or -1 with a reason
 * (an entry that would pass 2^31 values). */
int shared_bind(shared_weights *s, child *c, nn_optim *o, int grow, shared_map *map, strbuf *err);
/* Copies c's weights (and o's buffers) back into s, after an update (c
 * bound with grow). */
void shared_store(shared_weights *s, const child *c, const nn_optim *o, const shared_map *map);

/* The same for a model whose every architecture has weights of the same
 * names (a recurrent cell's language model, runtime/models/lm.h): each
 * trained tensor of p is stored whole under its name, [ne0, rest, 1], the
 * leading slices of both dimensions taken when shapes differ. The weights
 * of a cell's projection are thus shared by every choice of the operations
 * that read it, as in ENAS's recurrent cells. */
int shared_bind_params(shared_weights *s, nn_params *p, nn_optim *o, int grow, shared_map *map, strbuf *err);
void shared_store_params(shared_weights *s, const nn_params *p, const nn_optim *o, const shared_map *map);
void shared_map_free(shared_map *map);

/* The store as safetensors tensors "<key>" (and "<key>#m", "<key>#v"),
 * each [a, b, kh, kw], with s->steps as metadata "shared_steps" and the metadata
 * given; atomic (st_write). */
int shared_save(const shared_weights *s, const char *path, const char *const *meta_keys,
                const char *const *meta_values, int nmeta, strbuf *err);
/* Reads a store saved by shared_save into an empty s (shared_init'd with
 * the same moments). 0, or -1 with a reason naming the file. */
int shared_load(shared_weights *s, const char *path, strbuf *err);

#endif
