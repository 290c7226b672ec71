//! A whole run of a contract on an input that passed the final check:
//! one request, or a map-reduce plan's requests (each part, then the one
//! that combines their answers); each call across the fallback chain with
//! retries ([`super::call`]); a cut-off answer continued, asked shorter or
//! flagged as the contract says; and the answer checked against the
//! contract's `[output]`, re-asked once with what was wrong when allowed.
//! Every call's tokens are in the attempts, so no recovery hides its cost.

use super::budget::Budget;
use super::call::{call, Attempt, Call, Failed, Outcome, Policy, Route, UserFailure};
use super::events::{Events, RunEvent};
use super::health::Health;
use super::limits::{Limiter, Pace};
use super::output::{OutputCheck, OutputVerdict};
use crate::chat::{Chat, ChatAnswer, ChatRequest, DryRun, Finish, Usage};
use crate::Provider;
use futures_util::StreamExt;
use prompt_preflight::messages::run as words;
use prompt_preflight::{
    Catalogue, Contract, Message, OnTruncated, Payload, Role, INPUT_PLACEHOLDER,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What runs the calls: the model clients, how hard to try, and the
/// breakers.
#[derive(Clone)]
pub struct Runner {
    /// The model clients by provider; a provider without one runs dry.
    pub chats: BTreeMap<Provider, Arc<dyn Chat>>,
    /// Attempts, backoff and the deadline.
    pub policy: Policy,
    /// The breakers and the operator's failure log.
    pub health: Arc<Health>,
    /// How many parts of a plan are asked at once.
    pub part_concurrency: usize,
    /// Our limits per provider (`[providers.<name>]`).
    pub limits: BTreeMap<Provider, Arc<Limiter>>,
}

impl Runner {
    /// How long the contract's model must wait for our limits before a call
    /// of `tokens` fits (zero: now). A request that would wait longer than
    /// the deadline is queued as a job rather than refused.
    pub fn saturation(&self, contract: &Contract, tokens: u64) -> Duration {
        self.routes(contract)
            .first()
            .and_then(|r| r.limiter.as_ref())
            .map_or(Duration::ZERO, |l| l.wait_for(tokens, Instant::now()))
    }

    /// How fast the contract's first model takes calls now (for a queued
    /// job's ETA): no wait and no rate when it has no limits.
    pub fn pace(&self, contract: &Contract, tokens: u64) -> Pace {
        self.routes(contract)
            .first()
            .and_then(|r| r.limiter.as_ref())
            .map_or(Pace::default(), |l| l.pace(tokens, Instant::now()))
    }

    /// The client for `provider`'s models: its own, or the dry run.
    pub fn chat_for(&self, provider: Provider) -> Arc<dyn Chat> {
        self.chats
            .get(&provider)
            .cloned()
            .unwrap_or_else(|| Arc::new(DryRun))
    }

    /// The contract's model, then each fallback whose provider has a
    /// client (a dry run has no fallbacks: nothing is called).
    pub fn routes(&self, contract: &Contract) -> Vec<Route> {
        let catalogue = Catalogue::builtin();
        let primary = contract.model.info().ok();
        let provider = primary.map_or(Provider::Openai, |m| m.provider);
        let chat = self.chat_for(provider);
        let live = chat.is_live();
        let mut routes = vec![Route {
            chat,
            model: contract.model.name.clone(),
            window: primary.map(|m| m.context_window),
            limiter: self.limits.get(&provider).filter(|_| live).cloned(),
        }];
        if live {
            for name in &contract.recovery.fallbacks {
                let Ok(model) = catalogue.find(name) else {
                    continue;
                };
                match self.chats.get(&model.provider) {
                    Some(chat) => routes.push(Route {
                        chat: chat.clone(),
                        model: model.name.clone(),
                        window: Some(model.context_window),
                        limiter: self.limits.get(&model.provider).cloned(),
                    }),
                    None => {
                        tracing::debug!(model = %model.name, "fallback skipped: no key for its provider")
                    }
                }
            }
        }
        routes
    }
}

/// What to run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub enum Work {
    /// One request.
    Single {
        /// Its messages.
        payload: Payload,
        /// Its input tokens, as counted.
        input_tokens: u64,
    },
    /// A map-reduce plan: each part in the contract's template, then the
    /// answers combined in its `reduce_template`.
    MapReduce {
        /// Each part's text and its tokens.
        parts: Vec<(String, u64)>,
    },
}

/// An answer that came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The text (continuations joined).
    pub text: String,
    /// The model that gave it.
    pub model: String,
    /// Every call's tokens together.
    pub usage: Usage,
    /// Whether it is cut off (its end is missing).
    pub truncated: bool,
    /// Set when no model was called.
    pub dry_run: bool,
    /// How it fared against the contract's `[output]`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputVerdict>,
}

/// A run that failed.
#[derive(Debug, Clone)]
pub struct RunFailed {
    /// The last failure, with its detail for the log.
    pub failed: Failed,
    /// What the user reads.
    pub user: UserFailure,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The answer or the failure.
    pub result: Result<Answer, RunFailed>,
    /// Every call, in order.
    pub attempts: Vec<Attempt>,
    /// What happened, in sentences: who answered after what, then what
    /// recovery did.
    pub summary: String,
    /// The sentences of what recovery did (in `summary` too).
    pub notes: Vec<String>,
}

/// One run's settings.
pub struct Request<'a> {
    /// The contract.
    pub contract: &'a Contract,
    /// What to run.
    pub work: Work,
    /// The answer's token allowance.
    pub max_tokens: u64,
    /// Stream from the provider, and the answer's text to `events`.
    pub stream: bool,
    /// Where events go.
    pub events: Events,
    /// The user's allowance for this run (`None`: no limit).
    pub budget: Option<Arc<dyn Budget>>,
}

/// The output check of a contract, compiled; an invalid schema is logged
/// and not checked (the registry refuses such contracts at load).
fn output_check(contract: &Contract) -> Option<OutputCheck> {
    let spec = contract.output.as_ref()?;
    match OutputCheck::new(spec) {
        Ok(check) => Some(check),
        Err(why) => {
            tracing::error!(contract = %contract.id, %why, "output check skipped");
            None
        }
    }
}

/// Runs `request` with `runner`.
pub async fn execute(runner: &Runner, request: Request<'_>) -> Execution {
    execute_with(runner, request, tokio::time::sleep).await
}

/// [`execute`], waiting with `sleep` (tests pass one that records).
pub async fn execute_with<S, F>(runner: &Runner, request: Request<'_>, sleep: S) -> Execution
where
    S: FnMut(Duration) -> F + Clone,
    F: std::future::Future<Output = ()>,
{
    let contract = request.contract;
    let routes = runner.routes(contract);
    let check = output_check(contract);
    // A held answer is sent once it is final: when the output is checked
    // or a cut-off answer may be replaced, nothing is streamed early.
    let hold = check.is_some() || contract.recovery.on_truncated == OnTruncated::Shorter;
    let mut run = Run {
        runner,
        routes: &routes,
        contract,
        started: Instant::now(),
        stream: request.stream,
        events: request.events.clone(),
        max_tokens: request.max_tokens,
        budget: request.budget.clone(),
        attempts: Vec::new(),
        notes: Vec::new(),
    };
    let (payload, input_tokens) = match request.work {
        Work::Single {
            payload,
            input_tokens,
        } => (payload, input_tokens),
        Work::MapReduce { parts } => {
            run.notes.push(words::ran_in_parts(parts.len()));
            match run.parts(parts, sleep.clone()).await {
                Ok(combined) => combined,
                Err(failed) => return run.failed(failed),
            }
        }
    };
    let step = if run.notes.is_empty() {
        "answer"
    } else {
        "combine"
    };
    let first = run
        .answer(&payload.messages, input_tokens, step, !hold, sleep.clone())
        .await;
    let mut answer = match first {
        Ok(answer) => answer,
        Err(failed) => return run.failed(failed),
    };
    if let Some(check) = check.filter(|_| !answer.dry_run) {
        let verdict = run
            .check_output(&check, &payload.messages, input_tokens, &mut answer, sleep)
            .await;
        answer.output = Some(verdict);
    } else if contract.output.is_some() {
        answer.output = Some(OutputVerdict::skipped("a dry run has no answer to check"));
    }
    if hold && request.stream {
        (run.events)(RunEvent::Delta {
            text: answer.text.clone(),
        });
    }
    let summary = run.summary(Some(&answer));
    Execution {
        result: Ok(answer),
        attempts: run.attempts,
        summary,
        notes: run.notes,
    }
}

fn add(a: Usage, b: Usage) -> Usage {
    Usage {
        input: a.input + b.input,
        output: a.output + b.output,
        cached: a.cached + b.cached,
        counted_by_us: a.counted_by_us || b.counted_by_us,
    }
}

/// A run in progress.
struct Run<'a> {
    runner: &'a Runner,
    routes: &'a [Route],
    contract: &'a Contract,
    started: Instant,
    stream: bool,
    events: Events,
    max_tokens: u64,
    budget: Option<Arc<dyn Budget>>,
    attempts: Vec<Attempt>,
    notes: Vec<String>,
}

impl Run<'_> {
    /// Checks `answer` against the contract's output; a failure is
    /// re-asked once with what was wrong, when the contract allows it.
    async fn check_output<S, F>(
        &mut self,
        check: &OutputCheck,
        messages: &[Message],
        input_tokens: u64,
        answer: &mut Answer,
        sleep: S,
    ) -> OutputVerdict
    where
        S: FnMut(Duration) -> F + Clone,
        F: std::future::Future<Output = ()>,
    {
        let reason = match check.check(&answer.text) {
            Ok(json) => return OutputVerdict::passed(json, false),
            Err(reason) => reason,
        };
        if !check.reask() {
            self.notes.push(words::output_failed(&reason, false));
            return OutputVerdict::failed(reason, false);
        }
        let mut again = messages.to_vec();
        again.push(Message {
            role: Role::Assistant,
            content: answer.text.clone(),
        });
        again.push(Message {
            role: Role::User,
            content: words::reask_prompt(&reason, &check.wanted()),
        });
        let tokens = input_tokens + answer.usage.output + 100;
        let Ok(second) = self.answer(&again, tokens, "re-ask", false, sleep).await else {
            // The re-ask failed: the first answer stands, flagged.
            self.notes.push(words::output_failed(&reason, false));
            return OutputVerdict::failed(reason, true);
        };
        let usage = add(answer.usage, second.usage);
        *answer = Answer { usage, ..second };
        match check.check(&answer.text) {
            Ok(json) => {
                self.notes.push(words::OUTPUT_FIXED.to_owned());
                OutputVerdict::passed(json, true)
            }
            Err(reason) => {
                self.notes.push(words::output_failed(&reason, true));
                OutputVerdict::failed(reason, true)
            }
        }
    }

    /// One call across the chain.
    async fn call<S, F>(
        &mut self,
        messages: &[Message],
        input_tokens: u64,
        max_tokens: u64,
        step: &str,
        live: bool,
        sleep: S,
    ) -> Result<ChatAnswer, Failed>
    where
        S: FnMut(Duration) -> F,
        F: std::future::Future<Output = ()>,
    {
        let outcome: Outcome = call(
            Call {
                routes: self.routes,
                request: ChatRequest {
                    model: String::new(),
                    messages: messages.to_vec(),
                    max_tokens,
                },
                step: step.to_owned(),
                tokens: (input_tokens, max_tokens),
                policy: self.runner.policy,
                started: self.started,
                stream: self.stream,
                live: live && self.stream,
                health: Some(&self.runner.health),
                events: self.events.clone(),
                budget: self.budget.as_deref(),
            },
            sleep,
        )
        .await;
        self.attempts.extend(outcome.attempts);
        outcome.result
    }

    /// An answer to `messages`, with a cut-off answer recovered as the
    /// contract says.
    async fn answer<S, F>(
        &mut self,
        messages: &[Message],
        input_tokens: u64,
        step: &str,
        live: bool,
        sleep: S,
    ) -> Result<Answer, Failed>
    where
        S: FnMut(Duration) -> F + Clone,
        F: std::future::Future<Output = ()>,
    {
        let max_tokens = self.max_tokens;
        let first = self
            .call(
                messages,
                input_tokens,
                max_tokens,
                step,
                live,
                sleep.clone(),
            )
            .await?;
        let mut answer = Answer {
            text: first.text,
            model: first.model,
            usage: first.usage,
            truncated: first.finish == Finish::Length,
            dry_run: first.dry_run,
            output: None,
        };
        if !answer.truncated {
            return Ok(answer);
        }
        match self.contract.recovery.on_truncated {
            OnTruncated::Flag => self.notes.push(words::TRUNCATED_FLAGGED.to_owned()),
            OnTruncated::Shorter => {
                let mut again = messages.to_vec();
                if let Some(last) = again.iter_mut().rev().find(|m| m.role == Role::User) {
                    last.content =
                        format!("{}\n\n{}", last.content, words::shorter_prompt(max_tokens));
                }
                match self
                    .call(
                        &again,
                        input_tokens + 40,
                        max_tokens,
                        "shorter",
                        live,
                        sleep.clone(),
                    )
                    .await
                {
                    Ok(shorter) => {
                        let still_cut = shorter.finish == Finish::Length;
                        self.notes.push(words::asked_shorter(still_cut).to_owned());
                        answer = Answer {
                            text: shorter.text,
                            model: shorter.model,
                            usage: add(answer.usage, shorter.usage),
                            truncated: still_cut,
                            dry_run: shorter.dry_run,
                            output: None,
                        };
                    }
                    Err(_) => self.notes.push(words::TRUNCATED_FLAGGED.to_owned()),
                }
            }
            _ => {
                let mut calls = 0;
                while answer.truncated && calls < self.contract.recovery.max_continuations {
                    calls += 1;
                    let mut more = messages.to_vec();
                    more.push(Message {
                        role: Role::Assistant,
                        content: answer.text.clone(),
                    });
                    more.push(Message {
                        role: Role::User,
                        content: words::CONTINUE_PROMPT.to_owned(),
                    });
                    let tokens = input_tokens + answer.usage.output;
                    let step = format!("continuation {calls}");
                    match self
                        .call(&more, tokens, max_tokens, &step, live, sleep.clone())
                        .await
                    {
                        Ok(next) => {
                            answer.text.push_str(&next.text);
                            answer.usage = add(answer.usage, next.usage);
                            answer.truncated = next.finish == Finish::Length;
                        }
                        Err(failed) if failed.streamed => return Err(failed),
                        Err(_) => break,
                    }
                }
                self.notes
                    .push(words::continued(calls as usize, answer.truncated));
            }
        }
        Ok(answer)
    }

    /// Asks each part (a few at once), then builds the combining request.
    async fn parts<S, F>(
        &mut self,
        parts: Vec<(String, u64)>,
        sleep: S,
    ) -> Result<(Payload, u64), Failed>
    where
        S: FnMut(Duration) -> F + Clone,
        F: std::future::Future<Output = ()>,
    {
        let of = parts.len();
        let contract = self.contract;
        let concurrency = self.runner.part_concurrency.max(1);
        // Each part is its own small run; their attempts and notes join
        // this one's in order.
        let runs =
            futures_util::stream::iter(parts.into_iter().enumerate().map(|(i, (text, tokens))| {
                let sleep = sleep.clone();
                let events = self.events.clone();
                let mut part = Run {
                    runner: self.runner,
                    routes: self.routes,
                    contract,
                    started: self.started,
                    stream: self.stream,
                    events: self.events.clone(),
                    max_tokens: self.max_tokens,
                    budget: self.budget.clone(),
                    attempts: Vec::new(),
                    notes: Vec::new(),
                };
                async move {
                    events(RunEvent::Part {
                        index: i + 1,
                        of,
                        state: "started",
                    });
                    let payload = Payload::build(contract, &text);
                    let step = format!("part {} of {of}", i + 1);
                    let answer = part
                        .answer(&payload.messages, tokens, &step, false, sleep)
                        .await;
                    let state = if answer.is_ok() { "answered" } else { "failed" };
                    events(RunEvent::Part {
                        index: i + 1,
                        of,
                        state,
                    });
                    (answer, part.attempts, part.notes)
                }
            }))
            .buffered(concurrency)
            .collect::<Vec<_>>()
            .await;
        let mut answers = Vec::with_capacity(of);
        let mut failure = None;
        for (answer, attempts, notes) in runs {
            self.attempts.extend(attempts);
            for note in notes {
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
            }
            match answer {
                Ok(answer) => answers.push(answer),
                Err(failed) => failure = failure.or(Some(failed)),
            }
        }
        if let Some(failed) = failure {
            return Err(failed);
        }
        let joined: Vec<String> = answers
            .iter()
            .enumerate()
            .map(|(i, a)| format!("Part {} of {of}:\n{}", i + 1, a.text.trim()))
            .collect();
        let joined = joined.join("\n\n");
        let mut reducer = contract.clone();
        reducer.prompt.get_or_insert_with(Default::default).template =
            Some(contract.prepare.reduce_template().to_owned());
        debug_assert!(contract
            .prepare
            .reduce_template()
            .contains(INPUT_PLACEHOLDER));
        let payload = Payload::build(&reducer, &joined);
        let tokens = prompt_preflight::Encoding::O200kBase.count(&joined).count;
        Ok((payload, tokens))
    }

    fn summary(&self, answer: Option<&Answer>) -> String {
        let head = match answer {
            Some(a) if a.dry_run => words::DRY_RUN.to_owned(),
            Some(a) => super::call::summary(&self.attempts, Some(&a.model)),
            None => super::call::summary(&self.attempts, None),
        };
        std::iter::once(head)
            .chain(self.notes.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn failed(self, failed: Failed) -> Execution {
        let summary = self.summary(None);
        let user = UserFailure::of(&failed.failure);
        Execution {
            result: Err(RunFailed { failed, user }),
            attempts: self.attempts,
            summary,
            notes: self.notes,
        }
    }
}
