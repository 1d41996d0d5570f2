/* One pass over the whole lines of a bulk customer JSONL piece, into Arrow's buffers.

   scan(data, end, fields) reads every line of ``data[:end]`` (whole lines, the last one maybe without
   its line break) as one JSON object, and gives the columns that ``fields`` asks for, of
   the customer lines (those without a "__parentId") and of the address lines apart, as the
   buffers of Arrow arrays: validity bitmaps, 32-bit offsets, bytes.  It gives None for a
   piece it cannot prove that it reads as json.loads reads each of its lines, and the caller
   then reads the piece another way.  None for anything outside this plain subset:

   - a line that is not one object with optional spaces or tabs around its tokens (a blank
     line, two objects, a line break other than \n, a byte JSON refuses, text that is not
     UTF-8, U+0085, U+2028 or U+2029, which str.splitlines() breaks at);
   - a key written with an escape, a field asked for given twice on a line, a value of
     another type than the field's, NaN or Infinity (which json.loads takes), an escape of
     half a surrogate pair (which json.loads takes), values nested more than 64 deep;
   - a null "__parentId" (neither kind of line then).

   Every value the columns do not keep is still checked to be JSON, so that a line json.loads
   refuses is never taken.  The work is done without the GIL: the caller's two threads scan
   two pieces at once. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

enum { SCANNED = 0, NOT_PLAIN = 1, NO_MEMORY = 2 };
/* what a field holds: text, true/false, an object of one text field, a list of texts, or
   nothing but null */
enum { FIELD_TEXT = 0, FIELD_FLAG = 1, FIELD_OBJECT = 2, FIELD_LIST = 3, FIELD_NULL = 4 };
/* what a line gave a key */
enum { GOT_NOTHING = 0, GOT_NULL, GOT_TRUE, GOT_FALSE, GOT_TEXT, GOT_OBJECT, GOT_ARRAY, GOT_NUMBER };
enum { CUSTOMER_LINE = 0, ADDRESS_LINE = 1 };

#define MAX_KEYS 64
#define MAX_DEPTH 64

typedef unsigned char byte;

/* ------------------------------------------------------------------------------------------
   growing buffers */

typedef struct {
    char *bytes;
    size_t size, capacity;
} Buffer;

static int reserve(Buffer *buffer, size_t more) {
    if (buffer->size + more <= buffer->capacity) return 0;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->size + more) capacity *= 2;
    char *grown = realloc(buffer->bytes, capacity);
    if (!grown) return -1;
    buffer->bytes = grown;
    buffer->capacity = capacity;
    return 0;
}

static int put(Buffer *buffer, const void *bytes, size_t size) {
    if (!size) return 0;
    if (reserve(buffer, size)) return -1;
    memcpy(buffer->bytes + buffer->size, bytes, size);
    buffer->size += size;
    return 0;
}

static int put_byte(Buffer *buffer, byte value) { return put(buffer, &value, 1); }

static int put_offset(Buffer *buffer, size_t offset) {
    if (offset > INT32_MAX) return -1; /* Arrow's string offsets are 32 bits */
    int32_t value = (int32_t)offset;
    return put(buffer, &value, sizeof value);
}

/* ------------------------------------------------------------------------------------------
   columns */

typedef struct {
    Buffer valid; /* a byte a value: 1 when not null */
    Buffer offsets;
    Buffer bytes;
    Py_ssize_t values, nulls;
} Texts;

typedef struct {
    int line_kind, kind, key;
    const char *inner; /* the object's one field (FIELD_OBJECT) */
    Py_ssize_t inner_size;
    Buffer valid; /* a byte a row: 1 when not null (flags, objects, lists) */
    Py_ssize_t nulls;
    Buffer flags;        /* a byte a row (FIELD_FLAG) */
    Buffer list_offsets; /* FIELD_LIST */
    Texts texts;         /* the values (text), the object's field, the lists' items */
} Column;

typedef struct {
    const char *name;
    Py_ssize_t size;
} Key;

typedef struct {
    int got, times, escaped;
    const byte *start, *end; /* text: inside its quotes; object or array: the whole value */
} Seen;

typedef struct {
    Column *columns;
    Py_ssize_t count;
    Key keys[MAX_KEYS];
    int key_count, parent_key;
    Py_ssize_t lines, rows[2];
    Buffer is_address; /* a byte a line */
} Scan;

static int texts_start(Texts *texts) { return put_offset(&texts->offsets, 0); }

static int texts_null(Texts *texts) {
    texts->values++;
    texts->nulls++;
    if (put_byte(&texts->valid, 0)) return -1;
    return put_offset(&texts->offsets, texts->bytes.size);
}

static int put_code_point(Buffer *bytes, unsigned code) {
    byte out[4];
    size_t size;
    if (code < 0x80) {
        out[0] = (byte)code;
        size = 1;
    } else if (code < 0x800) {
        out[0] = (byte)(0xC0 | (code >> 6));
        out[1] = (byte)(0x80 | (code & 0x3F));
        size = 2;
    } else if (code < 0x10000) {
        out[0] = (byte)(0xE0 | (code >> 12));
        out[1] = (byte)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (byte)(0x80 | (code & 0x3F));
        size = 3;
    } else {
        out[0] = (byte)(0xF0 | (code >> 18));
        out[1] = (byte)(0x80 | ((code >> 12) & 0x3F));
        out[2] = (byte)(0x80 | ((code >> 6) & 0x3F));
        out[3] = (byte)(0x80 | (code & 0x3F));
        size = 4;
    }
    return put(bytes, out, size);
}

static int hex4(const byte *at, const byte *end, unsigned *code) {
    if (end - at < 4) return 0;
    unsigned value = 0;
    for (int i = 0; i < 4; i++) {
        byte c = at[i];
        value <<= 4;
        if (c >= '0' && c <= '9') value |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') value |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') value |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *code = value;
    return 1;
}

/* The text between start and end (checked by text_end) decoded into the values. */
static int texts_put(Texts *texts, const byte *start, const byte *end, int escaped) {
    texts->values++;
    if (put_byte(&texts->valid, 1)) return -1;
    if (!escaped) {
        if (put(&texts->bytes, start, (size_t)(end - start))) return -1;
        return put_offset(&texts->offsets, texts->bytes.size);
    }
    const byte *at = start;
    while (at < end) {
        const byte *plain = at;
        while (at < end && *at != '\\') at++;
        if (put(&texts->bytes, plain, (size_t)(at - plain))) return -1;
        if (at >= end) break;
        byte escape = at[1];
        unsigned code = 0;
        at += 2;
        switch (escape) {
        case '"': code = '"'; break;
        case '\\': code = '\\'; break;
        case '/': code = '/'; break;
        case 'b': code = '\b'; break;
        case 'f': code = '\f'; break;
        case 'n': code = '\n'; break;
        case 'r': code = '\r'; break;
        case 't': code = '\t'; break;
        default: /* 'u', checked whole by text_end */
            hex4(at, end, &code);
            at += 4;
            if (code >= 0xD800 && code <= 0xDBFF) {
                unsigned low = 0;
                hex4(at + 2, end, &low);
                at += 6;
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
        }
        if (put_code_point(&texts->bytes, code)) return -1;
    }
    return put_offset(&texts->offsets, texts->bytes.size);
}

/* ------------------------------------------------------------------------------------------
   JSON, the plain subset */

static const byte *spaces(const byte *at, const byte *end) {
    while (at < end && (*at == ' ' || *at == '\t')) at++;
    return at;
}

/* The length of the UTF-8 character at ``at``, 0 when it is not one or is U+0085, U+2028 or
   U+2029 (line breaks to str.splitlines()). */
static int character_size(const byte *at, const byte *end) {
    byte lead = at[0];
    Py_ssize_t left = end - at;
    if (lead >= 0xC2 && lead <= 0xDF) {
        if (left < 2 || (at[1] & 0xC0) != 0x80) return 0;
        return lead == 0xC2 && at[1] == 0x85 ? 0 : 2;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        byte low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
        if (left < 3 || at[1] < low || at[1] > high || (at[2] & 0xC0) != 0x80) return 0;
        if (lead == 0xE2 && at[1] == 0x80 && (at[2] == 0xA8 || at[2] == 0xA9)) return 0;
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        byte low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
        if (left < 4 || at[1] < low || at[1] > high) return 0;
        if ((at[2] & 0xC0) != 0x80 || (at[3] & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}

/* The first byte from ``at`` that is a quote, a backslash, a control byte or not ASCII. */
static const byte *plain_ascii_end(const byte *at, const byte *end) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - at >= 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)at);
        /* signed: bytes from 0x80 are below 0x20 too */
        __m128i stop = _mm_or_si128(_mm_cmplt_epi8(chunk, space),
                                    _mm_or_si128(_mm_cmpeq_epi8(chunk, quote),
                                                 _mm_cmpeq_epi8(chunk, backslash)));
        int mask = _mm_movemask_epi8(stop);
        if (mask) return at + __builtin_ctz((unsigned)mask);
        at += 16;
    }
#endif
    while (at < end && *at >= 0x20 && *at < 0x80 && *at != '"' && *at != '\\') at++;
    return at;
}

/* The closing quote of the text that starts at ``at`` (after its opening quote), NULL when
   the text is not plain; ``escaped`` set when it has an escape. */
static const byte *text_end(const byte *at, const byte *end, int *escaped) {
    for (;;) {
        at = plain_ascii_end(at, end);
        if (at >= end || *at < 0x20) return NULL;
        if (*at == '"') return at;
        if (*at == '\\') {
            *escaped = 1;
            if (end - at < 2) return NULL;
            byte escape = at[1];
            if (escape == 'u') {
                unsigned code, low;
                if (!hex4(at + 2, end, &code)) return NULL;
                at += 6;
                if (code >= 0xDC00 && code <= 0xDFFF) return NULL; /* half a pair */
                if (code >= 0xD800 && code <= 0xDBFF) {
                    if (end - at < 2 || at[0] != '\\' || at[1] != 'u') return NULL;
                    if (!hex4(at + 2, end, &low) || low < 0xDC00 || low > 0xDFFF) return NULL;
                    at += 6;
                }
            } else if (escape && strchr("\"\\/bfnrt", escape)) {
                at += 2;
            } else {
                return NULL;
            }
            continue;
        }
        int size = character_size(at, end);
        if (!size) return NULL;
        at += size;
    }
}

static const byte *literal(const byte *at, const byte *end, const char *word) {
    size_t size = strlen(word);
    if ((size_t)(end - at) < size || memcmp(at, word, size)) return NULL;
    return at + size;
}

static const byte *digits(const byte *at, const byte *end) {
    const byte *start = at;
    while (at < end && *at >= '0' && *at <= '9') at++;
    return at > start ? at : NULL;
}

static const byte *number_end(const byte *at, const byte *end) {
    if (at < end && *at == '-') at++;
    if (at < end && *at == '0') at++;
    else if (!(at = digits(at, end))) return NULL;
    if (at < end && *at == '.' && !(at = digits(at + 1, end))) return NULL;
    if (at < end && (*at == 'e' || *at == 'E')) {
        at++;
        if (at < end && (*at == '+' || *at == '-')) at++;
        if (!(at = digits(at, end))) return NULL;
    }
    return at;
}

/* The end of the JSON value at ``at``, NULL when it is not one of the plain subset. */
static const byte *value_end(const byte *at, const byte *end, int depth) {
    int escaped = 0;
    if (at >= end || depth > MAX_DEPTH) return NULL;
    switch (*at) {
    case '"': {
        const byte *quote = text_end(at + 1, end, &escaped);
        return quote ? quote + 1 : NULL;
    }
    case 't': return literal(at, end, "true");
    case 'f': return literal(at, end, "false");
    case 'n': return literal(at, end, "null");
    case '[':
        at = spaces(at + 1, end);
        if (at < end && *at == ']') return at + 1;
        for (;;) {
            if (!(at = value_end(at, end, depth + 1))) return NULL;
            at = spaces(at, end);
            if (at < end && *at == ']') return at + 1;
            if (at >= end || *at != ',') return NULL;
            at = spaces(at + 1, end);
        }
    case '{':
        at = spaces(at + 1, end);
        if (at < end && *at == '}') return at + 1;
        for (;;) {
            if (at >= end || *at != '"') return NULL;
            const byte *quote = text_end(at + 1, end, &escaped);
            if (!quote) return NULL;
            at = spaces(quote + 1, end);
            if (at >= end || *at != ':') return NULL;
            if (!(at = value_end(spaces(at + 1, end), end, depth + 1))) return NULL;
            at = spaces(at, end);
            if (at < end && *at == '}') return at + 1;
            if (at >= end || *at != ',') return NULL;
            at = spaces(at + 1, end);
        }
    default:
        return number_end(at, end);
    }
}

/* What the value at ``at`` is, and where it ends; NULL when it is not plain. */
static const byte *seen_value(const byte *at, const byte *end, Seen *seen) {
    const byte *after;
    seen->times++;
    seen->escaped = 0;
    if (*at == '"') {
        const byte *quote = text_end(at + 1, end, &seen->escaped);
        if (!quote) return NULL;
        seen->got = GOT_TEXT;
        seen->start = at + 1;
        seen->end = quote;
        return quote + 1;
    }
    if (!(after = value_end(at, end, 1))) return NULL;
    seen->start = at;
    seen->end = after;
    switch (*at) {
    case 't': seen->got = GOT_TRUE; break;
    case 'f': seen->got = GOT_FALSE; break;
    case 'n': seen->got = GOT_NULL; break;
    case '{': seen->got = GOT_OBJECT; break;
    case '[': seen->got = GOT_ARRAY; break;
    default: seen->got = GOT_NUMBER;
    }
    return after;
}

static int key_of(const Key *keys, int count, const byte *name, Py_ssize_t size) {
    for (int k = 0; k < count; k++) {
        const Key *key = &keys[k];
        if (key->size == size && key->name[0] == (char)name[0] &&
            !memcmp(key->name, name, (size_t)size)) {
            return k;
        }
    }
    return -1;
}

/* The end of the object at ``at``, NULL when it is not plain or a key has an escape; what
   each of ``keys`` got in ``seen`` (the other keys' values only checked). */
static const byte *object_fields(const byte *at, const byte *end, const Key *keys, int count,
                                 Seen *seen) {
    at = spaces(at + 1, end);
    if (at < end && *at == '}') return at + 1;
    for (;;) {
        int escaped = 0;
        if (at >= end || *at != '"') return NULL;
        const byte *quote = text_end(at + 1, end, &escaped);
        if (!quote || escaped) return NULL;
        int key = quote > at + 1 ? key_of(keys, count, at + 1, quote - at - 1) : -1;
        at = spaces(quote + 1, end);
        if (at >= end || *at != ':') return NULL;
        at = spaces(at + 1, end);
        if (at >= end) return NULL;
        at = key >= 0 ? seen_value(at, end, &seen[key]) : value_end(at, end, 1);
        if (!at) return NULL;
        at = spaces(at, end);
        if (at < end && *at == '}') return at + 1;
        if (at >= end || *at != ',') return NULL;
        at = spaces(at + 1, end);
    }
}

/* ------------------------------------------------------------------------------------------
   a line */

static int text_value(Texts *texts, const Seen *seen) {
    if (seen->got == GOT_NOTHING || seen->got == GOT_NULL) return texts_null(texts) ? NO_MEMORY : SCANNED;
    if (seen->got != GOT_TEXT) return NOT_PLAIN;
    return texts_put(texts, seen->start, seen->end, seen->escaped) ? NO_MEMORY : SCANNED;
}

static int row_valid(Column *column, int valid) {
    if (!valid) column->nulls++;
    return put_byte(&column->valid, (byte)valid) ? NO_MEMORY : SCANNED;
}

static int object_value(Column *column, const Seen *seen) {
    if (seen->got == GOT_NOTHING || seen->got == GOT_NULL) {
        if (row_valid(column, 0)) return NO_MEMORY;
        return texts_null(&column->texts) ? NO_MEMORY : SCANNED;
    }
    if (seen->got != GOT_OBJECT) return NOT_PLAIN;
    /* the object's one field, looked for among its keys */
    Key inner = {column->inner, column->inner_size};
    Seen field = {0};
    if (!object_fields(seen->start, seen->end, &inner, 1, &field)) return NOT_PLAIN;
    if (field.times > 1) return NOT_PLAIN;
    if (row_valid(column, 1)) return NO_MEMORY;
    return text_value(&column->texts, &field);
}

static int list_value(Column *column, const Seen *seen) {
    if (seen->got == GOT_NOTHING || seen->got == GOT_NULL) {
        if (row_valid(column, 0)) return NO_MEMORY;
        return put_offset(&column->list_offsets, (size_t)column->texts.values) ? NO_MEMORY : SCANNED;
    }
    if (seen->got != GOT_ARRAY) return NOT_PLAIN;
    const byte *at = spaces(seen->start + 1, seen->end);
    while (*at != ']') {
        Seen item = {0};
        at = seen_value(at, seen->end, &item);
        if (!at) return NOT_PLAIN;
        int status = text_value(&column->texts, &item);
        if (status != SCANNED) return status;
        at = spaces(at, seen->end);
        if (*at == ',') at = spaces(at + 1, seen->end);
    }
    if (row_valid(column, 1)) return NO_MEMORY;
    return put_offset(&column->list_offsets, (size_t)column->texts.values) ? NO_MEMORY : SCANNED;
}

static int flag_value(Column *column, const Seen *seen) {
    if (seen->got == GOT_NOTHING || seen->got == GOT_NULL) {
        if (row_valid(column, 0)) return NO_MEMORY;
        return put_byte(&column->flags, 0) ? NO_MEMORY : SCANNED;
    }
    if (seen->got != GOT_TRUE && seen->got != GOT_FALSE) return NOT_PLAIN;
    if (row_valid(column, 1)) return NO_MEMORY;
    return put_byte(&column->flags, seen->got == GOT_TRUE) ? NO_MEMORY : SCANNED;
}

static int column_value(Column *column, const Seen *seen) {
    if (seen->times > 1) return NOT_PLAIN; /* json.loads keeps the last, Arrow refuses */
    switch (column->kind) {
    case FIELD_TEXT: return text_value(&column->texts, seen);
    case FIELD_FLAG: return flag_value(column, seen);
    case FIELD_OBJECT: return object_value(column, seen);
    case FIELD_LIST: return list_value(column, seen);
    default: return seen->got == GOT_NOTHING || seen->got == GOT_NULL ? SCANNED : NOT_PLAIN;
    }
}

static int scan_line(Scan *scan, const byte *at, const byte *end) {
    Seen seen[MAX_KEYS];
    memset(seen, 0, sizeof(Seen) * (size_t)scan->key_count);
    if (at >= end || *at != '{') return NOT_PLAIN;
    const byte *after = object_fields(at, end, scan->keys, scan->key_count, seen);
    if (!after || spaces(after, end) != end) return NOT_PLAIN; /* one object, then spaces */
    int status;
    const Seen *parent = &seen[scan->parent_key];
    if (parent->times > 1 || (parent->times && parent->got != GOT_TEXT)) return NOT_PLAIN;
    int kind = parent->times ? ADDRESS_LINE : CUSTOMER_LINE;
    for (Py_ssize_t c = 0; c < scan->count; c++) {
        Column *column = &scan->columns[c];
        if (column->line_kind != kind) continue;
        if ((status = column_value(column, &seen[column->key])) != SCANNED) return status;
    }
    scan->lines++;
    scan->rows[kind]++;
    return put_byte(&scan->is_address, (byte)kind) ? NO_MEMORY : SCANNED;
}

static int scan_lines(Scan *scan, const byte *data, Py_ssize_t size) {
    const byte *at = data, *end = data + size;
    while (at < end) {
        const byte *line_end = memchr(at, '\n', (size_t)(end - at));
        if (!line_end) line_end = end;
        int status = scan_line(scan, at, line_end);
        if (status != SCANNED) return status;
        at = line_end + 1;
    }
    return SCANNED;
}

/* ------------------------------------------------------------------------------------------
   to Python */

static void buffer_free(Buffer *buffer) {
    free(buffer->bytes);
    buffer->bytes = NULL;
}

static void scan_free(Scan *scan) {
    for (Py_ssize_t c = 0; c < scan->count; c++) {
        Column *column = &scan->columns[c];
        buffer_free(&column->valid);
        buffer_free(&column->flags);
        buffer_free(&column->list_offsets);
        buffer_free(&column->texts.valid);
        buffer_free(&column->texts.offsets);
        buffer_free(&column->texts.bytes);
    }
    buffer_free(&scan->is_address);
    PyMem_Free(scan->columns);
}

/* The memory of a buffer handed to Python without a copy: an object with the buffer protocol
   (pyarrow.py_buffer wraps it), which frees the memory when the last user lets go. */
typedef struct {
    PyObject_HEAD
    char *bytes;
    Py_ssize_t size;
} Memory;

static int memory_buffer(PyObject *self, Py_buffer *view, int flags) {
    Memory *memory = (Memory *)self;
    return PyBuffer_FillInfo(view, self, memory->bytes ? memory->bytes : (char *)"", memory->size,
                             1, flags);
}

static void memory_free(PyObject *self) {
    free(((Memory *)self)->bytes);
    Py_TYPE(self)->tp_free(self);
}

static PyBufferProcs memory_procs = {memory_buffer, NULL};

static PyTypeObject MemoryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "shopsync._bulk_scan.Memory",
    .tp_doc = "Bytes the scanner wrote, read through the buffer protocol.",
    .tp_basicsize = sizeof(Memory),
    .tp_dealloc = memory_free,
    .tp_as_buffer = &memory_procs,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* The buffer's bytes as a Memory: the buffer lets go of them (no copy). */
static PyObject *as_bytes(Buffer *buffer) {
    Memory *memory = PyObject_New(Memory, &MemoryType);
    if (!memory) return NULL;
    /* what the buffer grew to but did not fill goes back to the allocator */
    char *fitted = buffer->size < buffer->capacity ? realloc(buffer->bytes, buffer->size + 1) : NULL;
    memory->bytes = fitted ? fitted : buffer->bytes;
    memory->size = (Py_ssize_t)buffer->size;
    buffer->bytes = NULL;
    buffer->size = buffer->capacity = 0;
    return (PyObject *)memory;
}

/* A validity bitmap (Arrow's: a bit a value, the lowest first) of a byte a value; None when
   no value is null. */
static PyObject *bitmap(const Buffer *valid, Py_ssize_t nulls) {
    if (!nulls) Py_RETURN_NONE;
    Py_ssize_t size = ((Py_ssize_t)valid->size + 7) / 8;
    PyObject *bits = PyBytes_FromStringAndSize(NULL, size);
    if (!bits) return NULL;
    byte *out = (byte *)PyBytes_AS_STRING(bits);
    memset(out, 0, (size_t)size);
    for (size_t i = 0; i < valid->size; i++) {
        if (valid->bytes[i]) out[i >> 3] |= (byte)(1u << (i & 7));
    }
    return bits;
}

static PyObject *texts_tuple(Texts *texts) {
    return Py_BuildValue("(nNnNN)", texts->values, bitmap(&texts->valid, texts->nulls),
                         texts->nulls, as_bytes(&texts->offsets), as_bytes(&texts->bytes));
}

static PyObject *column_tuple(Column *column) {
    switch (column->kind) {
    case FIELD_TEXT: return texts_tuple(&column->texts);
    case FIELD_FLAG: /* the values as a bitmap too: 1 for true */
        return Py_BuildValue("(NnN)", bitmap(&column->valid, column->nulls), column->nulls,
                             bitmap(&column->flags, 1));
    case FIELD_OBJECT:
        return Py_BuildValue("(NnN)", bitmap(&column->valid, column->nulls), column->nulls,
                             texts_tuple(&column->texts));
    case FIELD_LIST:
        return Py_BuildValue("(NnNN)", bitmap(&column->valid, column->nulls), column->nulls,
                             as_bytes(&column->list_offsets), texts_tuple(&column->texts));
    default: return PyTuple_New(0);
    }
}

static int add_key(Scan *scan, const char *name, Py_ssize_t size) {
    int key = key_of(scan->keys, scan->key_count, (const byte *)name, size);
    if (key >= 0) return key;
    if (scan->key_count == MAX_KEYS) return -1;
    scan->keys[scan->key_count].name = name;
    scan->keys[scan->key_count].size = size;
    return scan->key_count++;
}

static int columns_from(Scan *scan, PyObject *fields) {
    scan->count = PyTuple_GET_SIZE(fields);
    scan->columns = PyMem_Calloc((size_t)(scan->count ? scan->count : 1), sizeof(Column));
    if (!scan->columns) return -1;
    for (Py_ssize_t c = 0; c < scan->count; c++) {
        Column *column = &scan->columns[c];
        const char *name, *inner;
        Py_ssize_t name_size;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fields, c), "iy#iy#", &column->line_kind, &name,
                              &name_size, &column->kind, &inner, &column->inner_size)) {
            return -1;
        }
        column->inner = inner;
        if ((column->key = add_key(scan, name, name_size)) < 0) {
            PyErr_SetString(PyExc_ValueError, "too many fields");
            return -1;
        }
        if (texts_start(&column->texts)) return -1;
        if (column->kind == FIELD_LIST && put_offset(&column->list_offsets, 0)) return -1;
    }
    if ((scan->parent_key = add_key(scan, "__parentId", 10)) < 0) {
        PyErr_SetString(PyExc_ValueError, "too many fields");
        return -1;
    }
    return 0;
}

static PyObject *scan_piece(PyObject *module, PyObject *args) {
    Py_buffer data;
    Py_ssize_t size;
    PyObject *fields;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*nO!", &data, &size, &PyTuple_Type, &fields)) return NULL;
    if (size < 0 || size > data.len) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "the piece's end is outside its data");
        return NULL;
    }
    Scan scan;
    memset(&scan, 0, sizeof scan);
    PyObject *result = NULL;
    if (columns_from(&scan, fields)) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = scan_lines(&scan, data.buf, size);
    Py_END_ALLOW_THREADS
    if (status == NO_MEMORY) {
        PyErr_NoMemory();
        goto done;
    }
    if (status == NOT_PLAIN) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *columns = PyList_New(scan.count);
    if (!columns) goto done;
    for (Py_ssize_t c = 0; c < scan.count; c++) {
        PyObject *column = column_tuple(&scan.columns[c]);
        if (!column) {
            Py_DECREF(columns);
            goto done;
        }
        PyList_SET_ITEM(columns, c, column);
    }
    result = Py_BuildValue("(nNnnN)", scan.lines, as_bytes(&scan.is_address), scan.rows[0],
                           scan.rows[1], columns);
done:
    scan_free(&scan);
    PyBuffer_Release(&data);
    return result;
}

/* The C heap's free memory back to the system (glibc keeps what the scans freed otherwise,
   and the frames built after them would only add to it). */
static PyObject *release_unused(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    Py_RETURN_NONE;
}

/* Whether a value of a string array may start or end with a space, by the tables ``first``
   (256 bytes: a first byte a space can have) and ``last`` (256 x 256: its last two bytes);
   the value's last byte but one is the byte before it, whichever value that belongs to (as
   shopsync.bulk_jsonl's numpy check reads them). True may be wrong, false is not. */
static PyObject *edge_may_be_space(PyObject *module, PyObject *args) {
    Py_buffer offsets, data, first, last;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &offsets, &data, &first, &last)) return NULL;
    int found = 0;
    if (first.len != 256 || last.len != 256 * 256 || offsets.len % 4) {
        PyErr_SetString(PyExc_ValueError, "tables of 256 and 65536 bytes, int32 offsets");
        found = -1;
    } else {
        const int32_t *at = (const int32_t *)offsets.buf;
        const byte *bytes = (const byte *)data.buf, *starts = first.buf, *ends = last.buf;
        Py_ssize_t values = offsets.len / 4 - 1;
        for (Py_ssize_t i = 0; i < values && !found; i++) {
            int32_t start = at[i], end = at[i + 1];
            if (end <= start) continue;
            if (start < 0 || end > data.len) {
                PyErr_SetString(PyExc_ValueError, "an offset outside the bytes");
                found = -1;
                break;
            }
            byte before = bytes[end >= 2 ? end - 2 : 0];
            found = starts[bytes[start]] || ends[before * 256 + bytes[end - 1]];
        }
    }
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    PyBuffer_Release(&first);
    PyBuffer_Release(&last);
    if (found < 0) return NULL;
    return PyBool_FromLong(found);
}

static PyMethodDef methods[] = {
    {"edge_may_be_space", edge_may_be_space, METH_VARARGS,
     "edge_may_be_space(offsets, data, first, last): may a value start or end with a space?"},
    {"release_unused", release_unused, METH_NOARGS,
     "release_unused(): the C heap's free memory back to the system."},
    {"scan", scan_piece, METH_VARARGS,
     "scan(data, end, fields): the columns of the customer and address lines of data[:end], "
     "or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_bulk_scan",
    "One pass over a bulk customer JSONL piece into Arrow's buffers (shopsync.bulk_jsonl).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__bulk_scan(void) {
    if (PyType_Ready(&MemoryType) < 0) return NULL;
    return PyModule_Create(&module);
}
