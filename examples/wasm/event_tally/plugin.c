/*
 * event_tally: counts the media events it is subscribed to, keeping the tally in its own
 * key-value storage (so it survives restarts and reloads), and announces each new total
 * with an event under its own namespace.
 */
#include "reelkit.h"

static int64_t read_total(void) {
    rk_str v = rk_kv_get("total");
    return v.ptr ? rk_json_int(v) : 0;
}

/* Subscribed to "media.*" in plugin.json: receives {"topic": ..., "data": {...}}. */
RK_EXPORT("on_event") int32_t on_event(void) {
    rk_str ev = rk_input();
    int64_t total = read_total() + 1;
    rk_buf num = {0};
    rk_buf_int(&num, total);
    rk_kv_set("total", rk_buf_str(&num));
    rk_str topic = rk_json_string(rk_json_get(ev, "topic"));
    if (topic.ptr) rk_kv_set("last_topic", topic);

    rk_buf data = {0};
    rk_buf_cat(&data, "{\"total\":");
    rk_buf_int(&data, total);
    rk_buf_cat(&data, "}");
    rk_emit("event_tally.counted", rk_buf_str(&data));
    return 0;
}

RK_EXPORT("stats") int32_t stats(void) {
    rk_input();
    rk_buf out = {0};
    rk_buf_cat(&out, "{\"total\":");
    rk_buf_int(&out, read_total());
    rk_buf_cat(&out, ",\"last_topic\":");
    rk_str last = rk_kv_get("last_topic");
    if (last.ptr) rk_buf_json_str(&out, last); else rk_buf_cat(&out, "null");
    rk_buf_cat(&out, "}");
    rk_output(rk_buf_str(&out));
    return 0;
}

RK_EXPORT("reset") int32_t reset(void) {
    rk_input();
    rk_kv_delete("total");
    rk_kv_delete("last_topic");
    rk_output(rk_s("{\"total\":0}"));
    return 0;
}
