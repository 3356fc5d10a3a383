/* states.c - the task state machine; see states.h. */
#include <string.h>

#include "states.h"

static const char *const names[TASK_STATE_COUNT] = {
    [TASK_ASSIGNED] = "ASSIGNED",
    [TASK_RECEIVED] = "RECEIVED",
    [TASK_ACCEPTED_ONSITE] = "ACCEPTED_ONSITE",
    [TASK_SUBMITTED] = "SUBMITTED",
    [TASK_SUPPLEMENT_REQUESTED] = "SUPPLEMENT_REQUESTED",
    [TASK_SUPPLEMENT_RECEIVED] = "SUPPLEMENT_RECEIVED",
    [TASK_APPROVED] = "APPROVED",
    [TASK_REJECTED] = "REJECTED",
    [TASK_CANCELLED] = "CANCELLED",
    [TASK_CLOSED] = "CLOSED",
};

static const struct { const char *word; enum task_state state; } words[] = {
    { "accepted", TASK_ACCEPTED_ONSITE },
    { "submitted", TASK_SUBMITTED },
    { "supplement", TASK_SUPPLEMENT_REQUESTED },
    { "resupplied", TASK_SUPPLEMENT_RECEIVED },
    { "approved", TASK_APPROVED },
    { "rejected", TASK_REJECTED },
};

/* The moves of an item task after submission, shared by both item kinds. */
#define DECISION_MOVES \
    [TASK_SUBMITTED] = { [TASK_SUPPLEMENT_REQUESTED] = true, [TASK_APPROVED] = true, \
                         [TASK_REJECTED] = true, [TASK_CANCELLED] = true }, \
    [TASK_SUPPLEMENT_REQUESTED] = { [TASK_SUPPLEMENT_RECEIVED] = true, [TASK_REJECTED] = true, \
                                    [TASK_CANCELLED] = true }, \
    [TASK_SUPPLEMENT_RECEIVED] = { [TASK_SUPPLEMENT_REQUESTED] = true, [TASK_APPROVED] = true, \
                                   [TASK_REJECTED] = true, [TASK_CANCELLED] = true }

/* moves[kind][from][to]: the allowed moves. */
static const bool moves[TASK_KIND_COUNT][TASK_STATE_COUNT][TASK_STATE_COUNT] = {
    [KIND_AGENCY_ITEM] = {
        [TASK_ASSIGNED] = { [TASK_RECEIVED] = true, [TASK_CANCELLED] = true },
        [TASK_RECEIVED] = { [TASK_ACCEPTED_ONSITE] = true, [TASK_CANCELLED] = true },
        [TASK_ACCEPTED_ONSITE] = { [TASK_SUBMITTED] = true, [TASK_CANCELLED] = true },
        DECISION_MOVES,
    },
    [KIND_HELP_ITEM] = {
        [TASK_ASSIGNED] = { [TASK_RECEIVED] = true, [TASK_CANCELLED] = true },
        [TASK_RECEIVED] = { [TASK_SUBMITTED] = true, [TASK_CANCELLED] = true },
        DECISION_MOVES,
    },
    /* A companion closes from any open state: the router closes it when the
     * last item is decided, and an agent that is offline (its task still
     * ASSIGNED) must not hold up the department that decided that item.
     * Agents cannot report CLOSED themselves: it is not one of words[]. */
    [KIND_COORDINATION] = {
        [TASK_ASSIGNED] = { [TASK_RECEIVED] = true, [TASK_CLOSED] = true, [TASK_CANCELLED] = true },
        [TASK_RECEIVED] = { [TASK_CLOSED] = true, [TASK_CANCELLED] = true },
    },
    [KIND_HELP] = {
        [TASK_ASSIGNED] = { [TASK_RECEIVED] = true, [TASK_CLOSED] = true, [TASK_CANCELLED] = true },
        [TASK_RECEIVED] = { [TASK_CLOSED] = true, [TASK_CANCELLED] = true },
    },
};

static const char *const none[] = { NULL };
static const char *const accepted[] = { "when", "where", NULL };
static const char *const submitted[] = { "reference", NULL };
static const char *const supplement[] = { "missing", NULL };
static const char *const approved[] = { "result_doc", "result_kind", NULL };
static const char *const rejected[] = { "reason", NULL };

const char *task_state_name(enum task_state s)
{
    return (unsigned)s < TASK_STATE_COUNT ? names[s] : NULL;
}

int task_state_parse(const char *text, enum task_state *out)
{
    if (!text)
        return -1;
    for (int i = 0; i < TASK_STATE_COUNT; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (enum task_state)i;
            return 0;
        }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(text, words[i].word) == 0) {
            *out = words[i].state;
            return 0;
        }
    return -1;
}

int task_state_parse_word(const char *word, enum task_state *out)
{
    for (size_t i = 0; word && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(word, words[i].word) == 0) {
            *out = words[i].state;
            return 0;
        }
    return -1;
}

const char *task_kind_name(enum task_kind k)
{
    switch (k) {
    case KIND_AGENCY_ITEM:
    case KIND_HELP_ITEM: return "item";
    case KIND_COORDINATION: return "coordination";
    case KIND_HELP: return "help";
    default: return NULL;
    }
}

int task_kind_parse(const char *kind, const char *service_type, enum task_kind *out)
{
    if (!kind || !service_type)
        return -1;
    if (strcmp(kind, "item") == 0) {
        if (strcmp(service_type, "agency") == 0)
            *out = KIND_AGENCY_ITEM;
        else if (strcmp(service_type, "help") == 0)
            *out = KIND_HELP_ITEM;
        else
            return -1;
    } else if (strcmp(kind, "coordination") == 0) {
        *out = KIND_COORDINATION;
    } else if (strcmp(kind, "help") == 0) {
        *out = KIND_HELP;
    } else {
        return -1;
    }
    return 0;
}

int task_transition(enum task_kind kind, enum task_state from, enum task_state to)
{
    if ((unsigned)kind >= TASK_KIND_COUNT || (unsigned)from >= TASK_STATE_COUNT ||
        (unsigned)to >= TASK_STATE_COUNT)
        return -1;
    return moves[kind][from][to] ? 0 : -1;
}

const char *const *task_required_fields(enum task_state to)
{
    switch (to) {
    case TASK_ACCEPTED_ONSITE: return accepted;
    case TASK_SUBMITTED: return submitted;
    case TASK_SUPPLEMENT_REQUESTED: return supplement;
    case TASK_APPROVED: return approved;
    case TASK_REJECTED: return rejected;
    default: return none;
    }
}

bool task_state_final(enum task_state s)
{
    return s == TASK_APPROVED || s == TASK_REJECTED || s == TASK_CANCELLED || s == TASK_CLOSED;
}

const char *task_case_no(const char *task_id, char *out, size_t len)
{
    const char *dash = task_id ? strrchr(task_id, '-') : NULL;
    if (len)
        out[0] = 0;
    if (!dash || dash == task_id || !strchr("TCH", dash[1]) || !dash[2] ||
        strspn(dash + 2, "0123456789") != strlen(dash + 2) || (size_t)(dash - task_id) >= len)
        return NULL;
    memcpy(out, task_id, (size_t)(dash - task_id));
    out[dash - task_id] = 0;
    return out;
}

static const char *const pause_names[PAUSE_KIND_COUNT][2] = {
    [PAUSE_SUPPLEMENT] = { "supplement", "补正" },
    [PAUSE_EXPERT_REVIEW] = { "expert_review", "专家评审" },
    [PAUSE_HEARING] = { "hearing", "听证" },
    [PAUSE_INSPECTION] = { "inspection", "检验检测检疫" },
    [PAUSE_APPRAISAL] = { "appraisal", "鉴定" },
};

const char *pause_kind_name(enum pause_kind k)
{
    return (unsigned)k < PAUSE_KIND_COUNT ? pause_names[k][0] : NULL;
}

const char *pause_kind_label(enum pause_kind k)
{
    return (unsigned)k < PAUSE_KIND_COUNT ? pause_names[k][1] : NULL;
}

int pause_kind_parse(const char *text, enum pause_kind *out)
{
    for (int i = 0; text && i < PAUSE_KIND_COUNT; i++)
        if (strcmp(text, pause_names[i][0]) == 0) {
            *out = (enum pause_kind)i;
            return 0;
        }
    return -1;
}

bool case_state_final(const char *state)
{
    static const char *const final[] = { "RETURN_VISIT_OPEN", "WITHDRAWN", "CLOSED" };
    for (size_t i = 0; state && i < sizeof final / sizeof final[0]; i++)
        if (strcmp(state, final[i]) == 0)
            return true;
    return false;
}
